package mapping_test

import (
	"testing"

	"github.com/scimconnect/scimconnect/connector/mapping"
)

// benchSetup returns the Okta mapping, a typical user and its target form.
func benchSetup(b *testing.B) (*mapping.Mapping, map[string]any, map[string]any) {
	b.Helper()
	tc := seedCases(b)[0] // okta
	m, err := tc.table.Compile(mapping.Options{ResourceType: tc.rt})
	if err != nil {
		b.Fatalf("Compile: %v", err)
	}
	return m, decode(b, tc.scim), decode(b, tc.target)
}

func BenchmarkToTarget(b *testing.B) {
	m, res, _ := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.ToTarget(res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromTarget(b *testing.B) {
	m, _, obj := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.FromTarget(obj); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChanges(b *testing.B) {
	m, res, _ := benchSetup(b)
	after := decode(b, `{"userName":"ann@example.com","title":"Director","name":{"givenName":"Ann"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Changes(res, after); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	tc := seedCases(b)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tc.table.Compile(mapping.Options{ResourceType: tc.rt}); err != nil {
			b.Fatal(err)
		}
	}
}
