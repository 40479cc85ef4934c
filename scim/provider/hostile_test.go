package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// hostileQueries are raw query strings meant to break parsing, limits and
// arithmetic of the protocol layer.
var hostileQueries = []string{
	"",
	"%zz", "%", "&&&", ";;;", "=&=", "filter", "filter=", "count", "count=",
	"filter=" + url.QueryEscape(strings.Repeat("(", 5000)),
	"filter=" + url.QueryEscape(strings.Repeat("(", 200)+`userName pr`+strings.Repeat(")", 200)),
	"filter=" + url.QueryEscape(strings.Repeat("not (", 100)+"userName pr"+strings.Repeat(")", 100)),
	"filter=" + url.QueryEscape(strings.Repeat(`userName pr or `, 2000)+"userName pr"),
	"filter=" + url.QueryEscape(`userName eq "`+strings.Repeat("x", 100000)+`"`),
	"filter=" + url.QueryEscape(`userName eq "\ud800"`),
	"filter=" + url.QueryEscape(`userName eq "\`),
	"filter=%00", "filter=%FF%FE", "filter=" + url.QueryEscape("userName eq \"\x00\""),
	"filter=" + url.QueryEscape(`emails[value[type eq "x"]]`),
	"filter=" + url.QueryEscape(`emails[type eq "work"].value eq "x"`),
	"filter=" + url.QueryEscape(`meta.created gt "not a date"`),
	"filter=" + url.QueryEscape(`meta.created gt 12`),
	"filter=" + url.QueryEscape(`userName eq 1e999999`),
	"filter=" + url.QueryEscape(`active eq 1e999999`),
	"filter=" + url.QueryEscape(`x509Certificates.value eq "@@@"`),
	"filter=" + url.QueryEscape(`urn:ietf:params:scim:schemas:core:2.0:User: eq 1`),
	"filter=" + url.QueryEscape(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr`),
	"filter=" + url.QueryEscape(`urn:x:y eq 1`),
	"filter=" + url.QueryEscape(`name.givenName.x eq 1`),
	"filter=" + url.QueryEscape(`groups pr and members pr`),
	"filter=" + url.QueryEscape(`meta pr`),
	"filter=" + url.QueryEscape(`emails eq null`),
	"filter=" + url.QueryEscape(`id gt null`),
	"filter=a&filter=b",
	"sortBy=name", "sortBy=emails", "sortBy=meta", "sortBy=groups", "sortBy=members", "sortBy=schemas",
	"sortBy=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	"sortBy=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
	"sortBy=urn:", "sortBy=a..b", "sortBy=$ref", "sortBy=emails.$ref", "sortBy=x509Certificates", "sortBy=%00",
	"sortBy=userName&sortOrder=%00",
	"count=1e309", "count=-0", "count=0x10", "count=NaN", "count=Inf", "count=-Inf", "count=1e9",
	"count=99999999999999999999999", "count=-9223372036854775808", "count=9223372036854775807", "count=1.0",
	"count=%205", "count=+5", "count=--1", "count=1_000",
	"startIndex=1e309", "startIndex=-9223372036854775808", "startIndex=9223372036854775807",
	"startIndex=9223372036854775807&count=9223372036854775807", "startIndex=1e9&count=1e9",
	"startIndex=NaN", "startIndex=0.5",
	"cursor=", "cursor=AAAA", "cursor=%FF", "cursor=" + strings.Repeat("A", 5000), "cursor=====",
	"cursor=&startIndex=5", "cursor=&count=-1", "cursor=&count=0", "cursor=&sortBy=name",
	"attributes=..", "attributes=urn:", "attributes=urn:ietf:params:scim:schemas:core:2.0:User:",
	"attributes=meta.x.y", "attributes=$ref", "attributes=emails.$ref", "attributes=" + strings.Repeat(",", 10000),
	"attributes=" + strings.Repeat("a,", 5000), "attributes=%00", "excludedAttributes=id,schemas,meta",
	"attributes=userName&excludedAttributes=userName",
	"excludedAttributes=urn:ietf:params:scim:schemas:core:2.0:User",
	"excludedAttributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	"filter=userName+pr&sortBy=userName&sortOrder=descending&startIndex=2&count=1&attributes=userName",
}

// TestHostileQueries is a property: no query string makes any endpoint
// answer with a server error (RFC 7644 §3.12 reserves 500 for the server's
// own faults). do checks the status and the error body of every response.
func TestHostileQueries(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 3)
	gid := f.createGroup(t, "g", "1")["id"].(string)
	endpoints := []struct{ method, path string }{
		{"GET", "/Users"},
		{"GET", "/Groups"},
		{"HEAD", "/Users"},
		{"GET", "/Users/1"},
		{"GET", "/Groups/" + gid},
		{"GET", "/Users/missing"},
		{"POST", "/Users/.search"},
		{"POST", "/Groups/.search"},
		{"POST", "/.search"},
		{"GET", "/ServiceProviderConfig"},
		{"GET", "/ResourceTypes"},
		{"GET", "/ResourceTypes/User"},
		{"GET", "/Schemas"},
		{"GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"},
	}
	for _, e := range endpoints {
		t.Run(e.method+" "+e.path, func(t *testing.T) {
			for _, q := range hostileQueries {
				var res response
				if e.method == "POST" {
					// The search endpoints take the same parameters in their body.
					v, _ := url.ParseQuery(q) // keeps what parses, as a server would
					res = f.do(t, e.method, e.path, searchBody(t, v))
				} else {
					res = f.do(t, e.method, e.path+"?"+q, "")
				}
				if res.Status >= http.StatusInternalServerError {
					t.Errorf("%s %s?%.80s = %d", e.method, e.path, q, res.Status)
				}
			}
		})
	}
}
