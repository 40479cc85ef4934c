package metrics_test

import (
	"testing"

	"github.com/scimconnect/scimconnect/metrics"
)

func TestOperationOf(t *testing.T) {
	tests := []struct {
		method, path string
		want         metrics.Operation
	}{
		{"GET", "/Users", metrics.OpList},
		{"HEAD", "/Users", metrics.OpList},
		{"GET", "/Groups/", metrics.OpList},
		{"POST", "/Users", metrics.OpCreate},
		{"GET", "/Users/2819c223-7f76-453a-919d-413861904646", metrics.OpGet},
		{"PUT", "/Users/2819c223", metrics.OpReplace},
		{"PATCH", "/Groups/g1", metrics.OpPatch},
		{"DELETE", "/Users/u1", metrics.OpDelete},
		{"POST", "/Users/.search", metrics.OpSearch},
		{"POST", "/users/.SEARCH", metrics.OpSearch},
		{"POST", "/.search", metrics.OpSearch},
		{"GET", "/.search", metrics.OpOther},
		{"GET", "/Users/.search", metrics.OpOther},
		{"POST", "/Bulk", metrics.OpBulk},
		{"GET", "/Bulk", metrics.OpOther},
		{"POST", "/Bulk/x", metrics.OpOther},
		{"GET", "/ServiceProviderConfig", metrics.OpDiscovery},
		{"GET", "/ResourceTypes/User", metrics.OpDiscovery},
		{"GET", "/schemas/urn:ietf:params:scim:schemas:core:2.0:User", metrics.OpDiscovery},
		{"POST", "/Schemas", metrics.OpOther},
		{"GET", "/Me", metrics.OpOther},
		{"GET", "", metrics.OpOther},
		{"GET", "/", metrics.OpOther},
		{"POST", "/Users/u1", metrics.OpOther},
		{"PUT", "/Users", metrics.OpOther},
		{"GET", "/Users/u1/extra", metrics.OpOther},
		// An unknown endpoint is classified by its shape; the label stays bounded.
		{"GET", "/Whatever/123", metrics.OpGet},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if got := metrics.OperationOf(tt.method, tt.path); got != tt.want {
				t.Errorf("OperationOf(%q, %q) = %v, want %v", tt.method, tt.path, got, tt.want)
			}
		})
	}
}

func TestOperationString(t *testing.T) {
	tests := []struct {
		op   metrics.Operation
		want string
	}{
		{metrics.OpOther, "other"}, {metrics.OpCreate, "create"}, {metrics.OpGet, "get"},
		{metrics.OpList, "list"}, {metrics.OpSearch, "search"}, {metrics.OpReplace, "replace"},
		{metrics.OpPatch, "patch"}, {metrics.OpDelete, "delete"}, {metrics.OpBulk, "bulk"},
		{metrics.OpDiscovery, "discovery"}, {metrics.Operation(200), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.op.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkOperationOf(b *testing.B) {
	for b.Loop() {
		metrics.OperationOf("GET", "/Users/2819c223-7f76-453a-919d-413861904646")
	}
}
