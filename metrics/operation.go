package metrics

import (
	"net/http"
	"strings"
)

// Operation is the kind of a SCIM request, the value of the operation
// label. It is derived from the method and the shape of the path only, so
// its values are a fixed set whatever the URL holds.
type Operation uint8

// Operations, after RFC 7644 §3.
const (
	OpOther     Operation = iota // anything else: unknown endpoints, wrong methods, /Me
	OpCreate                     // POST /{Resources} (§3.3)
	OpGet                        // GET /{Resources}/{id} (§3.4.1)
	OpList                       // GET /{Resources}, a query (§3.4.2)
	OpSearch                     // POST /.search or /{Resources}/.search (§3.4.3)
	OpReplace                    // PUT /{Resources}/{id} (§3.5.1)
	OpPatch                      // PATCH /{Resources}/{id} (§3.5.2)
	OpDelete                     // DELETE /{Resources}/{id} (§3.6)
	OpBulk                       // POST /Bulk (§3.7)
	OpDiscovery                  // /ServiceProviderConfig, /ResourceTypes, /Schemas (§4)
	OpToken                      // the instance's OAuth 2.0 token endpoint (not SCIM; RFC 6749 §4.4)
	numOperations
)

var operationNames = [numOperations]string{
	OpOther:     "other",
	OpCreate:    "create",
	OpGet:       "get",
	OpList:      "list",
	OpSearch:    "search",
	OpReplace:   "replace",
	OpPatch:     "patch",
	OpDelete:    "delete",
	OpBulk:      "bulk",
	OpDiscovery: "discovery",
	OpToken:     "token",
}

// String returns the label value: "create", "get", …, "other".
func (o Operation) String() string {
	if o >= numOperations {
		return operationNames[OpOther]
	}
	return operationNames[o]
}

// OperationOf classifies a request by its method and its path relative to
// the instance's SCIM base URL ("/Users/2819c223", "/.search", "" for the
// base itself). It mirrors the provider's routing without allocating; a
// request the provider refuses (wrong method, unknown sub-path) is
// OpOther, except an unknown resource endpoint, which is classified by
// its shape like a known one.
func OperationOf(method, path string) Operation {
	path = strings.Trim(path, "/")
	first, rest, _ := strings.Cut(path, "/")
	read := method == http.MethodGet || method == http.MethodHead
	switch {
	case first == "":
		return OpOther
	case strings.EqualFold(first, "ServiceProviderConfig"),
		strings.EqualFold(first, "ResourceTypes"),
		strings.EqualFold(first, "Schemas"):
		if read {
			return OpDiscovery
		}
		return OpOther
	case strings.EqualFold(first, "Bulk"):
		if rest == "" && method == http.MethodPost {
			return OpBulk
		}
		return OpOther
	case strings.EqualFold(first, ".search"):
		if rest == "" && method == http.MethodPost {
			return OpSearch
		}
		return OpOther
	case strings.EqualFold(first, "Me"):
		return OpOther
	}
	if rest == "" {
		switch {
		case read:
			return OpList
		case method == http.MethodPost:
			return OpCreate
		}
		return OpOther
	}
	if strings.EqualFold(rest, ".search") {
		if method == http.MethodPost {
			return OpSearch
		}
		return OpOther
	}
	if strings.Contains(rest, "/") {
		return OpOther
	}
	switch {
	case read:
		return OpGet
	case method == http.MethodPut:
		return OpReplace
	case method == http.MethodPatch:
		return OpPatch
	case method == http.MethodDelete:
		return OpDelete
	}
	return OpOther
}
