// Command scimbench is a load generator for SCIM 2.0 service providers
// (RFC 7644). It drives one base URL with a fixed number of concurrent
// clients through a list of scenarios and reports, per scenario, requests,
// errors, req/s, p50 and p99 latency and wall time. With --compare it runs
// the same scenarios against an in-process bare net/http server
// (internal/bareserver, Go maps under one mutex: the upper bound for a Go
// HTTP service on the machine) right after the target, and prints both
// side by side with the target/bare req/s ratio.
//
// Usage:
//
//	scimbench run [flags]
//
// Target, exactly one of:
//
//	--base URL --token T       a SCIM base URL, e.g. http://127.0.0.1:8080/scim/local/v2
//	--state FILE [--instance NAME]
//	                           the "scimconnect demo" state file; NAME may be
//	                           left out when the file has one instance
//	--bare                     an in-process bare server on a free 127.0.0.1 port
//
// Other flags:
//
//	--compare          also run everything against an in-process bare server
//	--n 10000          users to create; also the size of the large group
//	--requests N       request budget of each timed scenario (default: --n)
//	--c 32             concurrent clients
//	--duration 10s     time cap of each timed scenario
//	--scenarios all    comma list of: create,get,filter,page,patch,members,getgroup,delete
//	--batch 50         members per member PATCH
//	--timeout 30s      timeout of each request
//	--max-time 10m     time cap of each counted scenario (create, page, members-build, delete)
//	--pid PID          sample the server process's VmRSS (/proc/PID/status) every
//	                   100 ms during each scenario; reports start and peak
//	--json             print the report as JSON instead of a table
//	--allow-remote     allow a base URL that is not a loopback address
//
// Scenarios, in this order (rows in parentheses):
//
//	create     POST --n users with name, emails, displayName, active and the
//	           enterprise employeeNumber and department; unique userNames
//	           bench-RUNID-NNNNNN
//	get        GET /Users/{id} of random users
//	filter     GET /Users?filter=userName%20eq%20"..." of random users; a
//	           totalResults other than 1 is an error
//	page       (page, page-cursor) one client lists every user, count=100,
//	           by startIndex; and by RFC 9865 cursor when the server's
//	           ServiceProviderConfig says pagination.cursor=true. Its total
//	           is the time to list everyone; listing fewer users than
//	           totalResults is an error
//	patch      PATCH a random user: replace displayName and active
//	members    (members-small, members-build, members-large, members-large-full)
//	           member PATCHes of --batch members: adds as one "members"
//	           operation with a value array, removes as one
//	           members[value eq "id"] operation per member (RFC 7644 §3.5.2).
//	           members-small: one group per client, holding 10 members,
//	           whose client alternately removes and re-adds its batch.
//	           members-build: all clients grow one group to --n members.
//	           members-large: all clients alternately remove and re-add
//	           disjoint batches of that group. Both send
//	           ?excludedAttributes=members so the 200 response need not
//	           carry the group (RFC 7644 §3.5.2); members-large-full does
//	           not, so each response carries every member
//	getgroup   GET the large group with all its members
//	delete     DELETE every user this run created (after deleting its groups)
//
// Timed scenarios (get, filter, patch, members-small, members-large,
// members-large-full, getgroup) stop after --duration or --requests requests,
// whichever comes first; requests in flight then finish and count. Counted
// scenarios do their whole work, capped by --max-time. Scenarios without
// create address the first --n users the server lists, and delete then
// deletes nothing. The groups a run creates are always deleted at its end.
//
// Every request has a timeout and its status is checked: transport errors,
// non-2xx statuses and unexpected bodies count as errors of their
// scenario, the first three per scenario are printed to stderr, and a row
// with errors is marked "!". The exit status is 0 when no scenario had
// errors, 1 otherwise or when the run failed, 2 on a bad command line.
//
// The client keeps MaxIdleConnsPerHost at twice --c, so connections are
// reused, asks for no compression, uses no proxy and follows no redirect:
// it talks only to the base URL, which must be a loopback address unless
// --allow-remote is given. An in-process bare server shares this process
// (and its 2 cores, on the reference machine) with the clients, as an
// external target shares the machine.
//
// Example: compare a running demo instance with the bare server, sampling
// the server's memory:
//
//	scimbench run --state demo-state.json --instance local --compare --pid $(pidof scimconnect)
package main
