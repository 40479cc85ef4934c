package patch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
)

// parsed is what the tests compare of an Operation: the path as rendered.
type parsed struct {
	Op, RawPath, Path string
	Value             any
}

func summarize(ops []Operation) []parsed {
	var out []parsed
	for _, o := range ops {
		p := parsed{Op: o.Op, RawPath: o.RawPath, Value: o.Value}
		if o.Path != nil {
			p.Path = o.Path.String()
		}
		out = append(out, p)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []parsed
	}{
		{
			name: "RFC 7644 §3.5.2.1 add members",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"display":"Babs Jensen","$ref":"https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646","value":"2819c223-7f76-453a-919d-413861904646"}]}]}`,
			want: []parsed{{Op: "add", RawPath: "members", Path: "members", Value: []any{map[string]any{
				"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "value": "2819c223-7f76-453a-919d-413861904646"}}}},
		},
		{
			name: "Entra capitalised ops and filter path",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"},{"op":"Remove","path":"members","value":[{"value":"id1"}]}]}`,
			want: []parsed{
				{Op: "replace", RawPath: "active", Path: "active", Value: "False"},
				{Op: "add", RawPath: `emails[type eq "work"].value`, Path: `emails[type eq "work"].value`, Value: "a@b.c"},
				{Op: "remove", RawPath: "members", Path: "members", Value: []any{map[string]any{"value": "id1"}}},
			},
		},
		{
			name: "Okta replace without path",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want: []parsed{{Op: "replace", Value: map[string]any{"active": false}}},
		},
		{
			name: "member names are case-insensitive and numbers are json.Number",
			body: `{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:patchop"],"operations":[{"OP":"ADD","Path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","VALUE":12345678901234567890}]}`,
			want: []parsed{{Op: "add", RawPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
				Path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", Value: json.Number("12345678901234567890")}},
		},
		{
			name: "empty or null path is absent; replace with null value",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"","value":{"nickName":"b"}},{"op":"replace","path":null,"value":{"title":"t"}},{"op":"replace","path":"title","value":null}]}`,
			want: []parsed{
				{Op: "add", Value: map[string]any{"nickName": "b"}},
				{Op: "replace", Value: map[string]any{"title": "t"}},
				{Op: "replace", RawPath: "title", Path: "title"},
			},
		},
		{
			name: "remove without value",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"}]}`,
			want: []parsed{{Op: "remove", RawPath: `members[value eq "2819c223"]`, Path: `members[value eq "2819c223"]`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(ops)); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const schemas = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	tooMany := `{` + schemas + `,"Operations":[` + strings.Repeat(`{"op":"remove","path":"title"},`, MaxOperations) + `{"op":"remove","path":"title"}]}`
	tests := []struct {
		name      string
		body      string
		scimType  string
		fragments []string
	}{
		{"not JSON", `{`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"array", `[]`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"null", `null`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"trailing data", `{` + schemas + `,"Operations":[{"op":"remove","path":"title"}]} {}`, scim.InvalidSyntax, []string{"after the JSON value"}},
		{"no schemas", `{"Operations":[{"op":"remove","path":"title"}]}`, scim.InvalidSyntax, []string{"schemas"}},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"op":"remove","path":"title"}]}`, scim.InvalidSyntax, []string{scim.PatchOpSchema}},
		{"schemas not an array", `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[{"op":"remove","path":"title"}]}`, scim.InvalidSyntax, []string{"schemas"}},
		{"unknown top-level member", `{` + schemas + `,"Operations":[{"op":"remove","path":"title"}],"extra":1}`, scim.InvalidSyntax, []string{`unknown member "extra"`}},
		{"no Operations", `{` + schemas + `}`, scim.InvalidSyntax, []string{"Operations"}},
		{"Operations null", `{` + schemas + `,"Operations":null}`, scim.InvalidSyntax, []string{"Operations"}},
		{"Operations object", `{` + schemas + `,"Operations":{}}`, scim.InvalidSyntax, []string{"Operations"}},
		{"empty Operations", `{` + schemas + `,"Operations":[]}`, scim.InvalidSyntax, []string{"no operations"}},
		{"too many operations", tooMany, scim.InvalidValue, []string{fmt.Sprintf("%d operations", MaxOperations+1)}},
		{"operation not an object", `{` + schemas + `,"Operations":["add"]}`, scim.InvalidSyntax, []string{"operation 1 is not a JSON object"}},
		{"unknown operation member", `{` + schemas + `,"Operations":[{"op":"add","path":"title","value":"x","from":"y"}]}`, scim.InvalidSyntax, []string{`unknown member "from"`}},
		{"op twice in different case", `{` + schemas + `,"Operations":[{"op":"add","OP":"remove","path":"title","value":"x"}]}`, scim.InvalidSyntax, []string{"more than once"}},
		{"op twice", `{` + schemas + `,"Operations":[{"op":"add","op":"remove","path":"title","value":"x"}]}`, scim.InvalidSyntax, []string{`"Operations.op" is given more than once`}},
		{"value key twice", `{` + schemas + `,"Operations":[{"op":"add","value":{"title":"a","title":"b"}}]}`, scim.InvalidSyntax, []string{`"Operations.value.title" is given more than once`}},
		{"Operations twice in different case", `{` + schemas + `,"Operations":[{"op":"remove","path":"title"}],"operations":[]}`, scim.InvalidSyntax, []string{"more than once"}},
		{"missing op", `{` + schemas + `,"Operations":[{"path":"title","value":"x"}]}`, scim.InvalidSyntax, []string{`"op"`}},
		{"op not a string", `{` + schemas + `,"Operations":[{"op":1,"path":"title","value":"x"}]}`, scim.InvalidSyntax, []string{`"op"`}},
		{"unknown op", `{` + schemas + `,"Operations":[{"op":"remove","path":"title"},{"op":"move","path":"title","value":"x"}]}`, scim.InvalidSyntax, []string{"operation 2", `unknown op "move"`}},
		{"path not a string", `{` + schemas + `,"Operations":[{"op":"add","path":5,"value":"x"}]}`, scim.InvalidPath, []string{"must be a string"}},
		{"bad path", `{` + schemas + `,"Operations":[{"op":"add","path":"emails[type eq","value":"x"}]}`, scim.InvalidPath, []string{`operation 1 (add "emails[type eq")`}},
		{"remove without path", `{` + schemas + `,"Operations":[{"op":"Remove"}]}`, scim.NoTarget, []string{"operation 1 (remove without path)", "requires a path"}},
		{"add without value", `{` + schemas + `,"Operations":[{"op":"add","path":"title"}]}`, scim.InvalidValue, []string{"add requires"}},
		{"add with null value", `{` + schemas + `,"Operations":[{"op":"add","path":"title","value":null}]}`, scim.InvalidValue, []string{"add requires"}},
		{"replace without value", `{` + schemas + `,"Operations":[{"op":"replace","path":"title"}]}`, scim.InvalidValue, []string{"replace requires a value"}},
		{"no-path value not an object", `{` + schemas + `,"Operations":[{"op":"replace","value":"x"}]}`, scim.InvalidValue, []string{"object of attributes"}},
		{"bad value JSON", `{` + schemas + `,"Operations":[{"op":"add","path":"title","value":}]}`, scim.InvalidSyntax, []string{"not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse = %v, want an error", summarize(ops))
			}
			checkErr(t, err, tt.scimType, tt.fragments...)
		})
	}
}

func TestParseAcceptsMaxOperations(t *testing.T) {
	ops := parseOps(t, `[`+strings.TrimSuffix(strings.Repeat(`{"op":"remove","path":"title"},`, MaxOperations), ",")+`]`)
	if len(ops) != MaxOperations {
		t.Errorf("len(ops) = %d, want %d", len(ops), MaxOperations)
	}
}
