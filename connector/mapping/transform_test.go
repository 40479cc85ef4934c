package mapping_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/mapping"
)

// convCase is one conversion: in goes through the direction's function.
type convCase struct {
	name    string
	in      any
	want    any
	wantErr string // substring; "" means success
}

func runConv(t *testing.T, f func(any) (any, error), cases []convCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func converter(t *testing.T, name string, args mapping.Args, opts mapping.Options) mapping.Converter {
	t.Helper()
	c, err := mapping.NewConverter(name, args, opts)
	if err != nil {
		t.Fatalf("NewConverter(%s, %v): %v", name, args, err)
	}
	return c
}

func TestTransformNames(t *testing.T) {
	want := []string{"boolStatus", "concat", "constant", "dateTime", "enum", "json", "lower",
		"multiFormat", "multiToSingle", "not", "singleToMulti", "stringBool"}
	if d := cmp.Diff(want, mapping.TransformNames()); d != "" {
		t.Errorf("TransformNames (-want +got):\n%s", d)
	}
}

func TestNewConverterErrors(t *testing.T) {
	tests := []struct {
		name string
		args mapping.Args
		want string
	}{
		{"nope", nil, `unknown transform "nope"`},
		{"lower", mapping.Args{"x": "1"}, `unknown argument "x"`},
		{"concat", mapping.Args{"split": "middle"}, `"split" must be`},
		{"boolStatus", nil, `argument "true" is required`},
		{"enum", nil, "at least one value pair"},
		{"enum", mapping.Args{"a": "x", "b": "x"}, `target value "x" is mapped from both`},
		{"dateTime", mapping.Args{"format": "yyyy-mm-dd"}, `"format" "yyyy-mm-dd"`},
		{"dateTime", mapping.Args{"offset": "+5h"}, `"offset" "+5h"`},
		{"multiToSingle", mapping.Args{"primary": "yes"}, `"primary" must be`},
		{"constant", nil, `argument "value" is required`},
		{"constant", mapping.Args{"value": "x", "type": "boolean"}, "not a boolean"},
		{"constant", mapping.Args{"value": "x", "type": "number"}, "not a number"},
		{"constant", mapping.Args{"value": "x", "type": "date"}, `"type" must be`},
		{"stringBool", mapping.Args{"target": "int"}, `"target" must be`},
		{"json", mapping.Args{"encoded": "both"}, `"encoded" must be`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+tc.want, func(t *testing.T) {
			_, err := mapping.NewConverter(tc.name, tc.args, mapping.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestConcat(t *testing.T) {
	first := converter(t, "concat", nil, mapping.Options{})
	t.Run("from", func(t *testing.T) {
		runConv(t, first.FromTarget, []convCase{
			{"both", []any{"Ann", "Lee"}, "Ann Lee", ""},
			{"first only", []any{"Ann", nil}, "Ann", ""},
			{"last only", []any{nil, "Lee"}, "Lee", ""},
			{"empty part", []any{"", "Lee"}, "Lee", ""},
			{"none", []any{nil, nil}, nil, ""},
			{"number", []any{"Agent", 7.0}, "Agent 7", ""},
		})
	})
	t.Run("to first", func(t *testing.T) {
		runConv(t, first.ToTarget, []convCase{
			{"two words", "Ann Lee", []any{"Ann", "Lee"}, ""},
			{"three words", "Mary Ann Smith", []any{"Mary", "Ann Smith"}, ""},
			{"one word", "Cher", []any{"Cher", nil}, ""},
			{"not a string", 3.0, nil, "want a string"},
		})
	})
	last := converter(t, "concat", mapping.Args{"split": "last", "sep": ", "}, mapping.Options{})
	t.Run("to last", func(t *testing.T) {
		runConv(t, last.ToTarget, []convCase{
			{"three parts", "a, b, c", []any{"a, b", "c"}, ""},
			{"one part", "a", []any{"a", nil}, ""},
		})
	})
	t.Run("from sep", func(t *testing.T) {
		runConv(t, last.FromTarget, []convCase{{"joined", []any{"Lee", "Ann"}, "Lee, Ann", ""}})
	})
	noSep := converter(t, "concat", mapping.Args{"sep": ""}, mapping.Options{})
	runConv(t, noSep.ToTarget, []convCase{{"cannot split", "AnnLee", nil, "without a separator"}})

	// Three fields through the engine.
	table := mapping.Table{{SCIM: "name.formatted", Target: "first+middle+last", Transform: "concat", Args: mapping.Args{"split": "last"}}}
	got, _, err := table.ToTarget(map[string]any{"name": map[string]any{"formatted": "Jean Claude Van Damme"}}, mapping.Options{})
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	if d := cmp.Diff(map[string]any{"first": "Jean Claude", "middle": "Van", "last": "Damme"}, got); d != "" {
		t.Errorf("ToTarget (-want +got):\n%s", d)
	}
}

func TestBoolStatus(t *testing.T) {
	c := converter(t, "boolStatus", mapping.Args{"true": "ACTIVE, PROVISIONED", "false": "DEPROVISIONED,SUSPENDED"}, mapping.Options{})
	t.Run("to", func(t *testing.T) {
		runConv(t, c.ToTarget, []convCase{
			{"true", true, "ACTIVE", ""},
			{"false", false, "DEPROVISIONED", ""},
			{"string true", "True", "ACTIVE", ""},
			{"not a boolean", "yes", nil, "want a boolean"},
		})
	})
	t.Run("from", func(t *testing.T) {
		runConv(t, c.FromTarget, []convCase{
			{"first true value", "ACTIVE", true, ""},
			{"second true value", "PROVISIONED", true, ""},
			{"case", "active", true, ""},
			{"false value", "SUSPENDED", false, ""},
			{"other value", "LOCKED_OUT", false, ""},
			{"boolean target", true, false, ""},
		})
	})
	onlyTrue := converter(t, "boolStatus", mapping.Args{"true": "CONFIRMED"}, mapping.Options{})
	runConv(t, onlyTrue.ToTarget, []convCase{{"false without value", false, nil, "no value for false"}})
	bools := converter(t, "boolStatus", mapping.Args{"true": "true"}, mapping.Options{})
	runConv(t, bools.FromTarget, []convCase{{"JSON boolean true", true, true, ""}})
}

func TestNot(t *testing.T) {
	c := converter(t, "not", nil, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"true", true, false, ""},
		{"false", false, true, ""},
		{"bad", 1.0, nil, "want a boolean"},
	})
	runConv(t, c.FromTarget, []convCase{
		{"blocked", true, false, ""},
		{"string", "False", true, ""},
		{"bad", "blocked", nil, "want a boolean"},
	})
}

func TestEnum(t *testing.T) {
	c := converter(t, "enum", mapping.Args{"Basic": "express", "Stakeholder": "stakeholder"}, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"exact", "Basic", "express", ""},
		{"case-insensitive", "basic", "express", ""},
		{"unknown", "Gold", nil, `"Gold" is not one of Basic, Stakeholder`},
	})
	runConv(t, c.FromTarget, []convCase{
		{"known", "express", "Basic", ""},
		{"case-insensitive", "STAKEHOLDER", "Stakeholder", ""},
		{"unknown passes through", "earlyAdopter", "earlyAdopter", ""},
	})
}

func TestDateTime(t *testing.T) {
	tests := []struct {
		name       string
		args       mapping.Args
		offset     time.Duration
		target     any    // target form
		scim       string // SCIM form
		toTarget   bool   // also check SCIM → target gives target
		targetBack any    // what ToTarget gives when it differs from target
	}{
		{"okta layout", mapping.Args{"format": "2006-01-02T15:04:05.000Z07:00"}, 0, "2013-06-24T16:39:18.000Z", "2013-06-24T16:39:18Z", true, nil},
		{"rfc3339 default", nil, 0, "2013-06-24T16:39:18.5Z", "2013-06-24T16:39:18.5Z", true, nil},
		{"rfc3339 with zone", nil, 0, "2024-01-02T03:04:05+01:00", "2024-01-02T02:04:05Z", true, "2024-01-02T02:04:05Z"},
		{"rfc3339 zone-less in offset zone", nil, 2 * time.Hour, "2024-01-02T03:04:05", "2024-01-02T01:04:05Z", true, "2024-01-02T03:04:05+02:00"},
		{".NET seven digits", nil, 0, "2017-10-17T16:43:30.6177327Z", "2017-10-17T16:43:30.6177327Z", true, nil},
		{"epoch millis", mapping.Args{"format": "epochMillis"}, 0, 1700000000123.0, "2023-11-14T22:13:20.123Z", true, int64(1700000000123)},
		{"epoch millis string", mapping.Args{"format": "epochMillis"}, 0, "1700000000123", "2023-11-14T22:13:20.123Z", false, nil},
		{"epoch seconds fraction", mapping.Args{"format": "epochSeconds"}, 0, 1689980857.949, "2023-07-21T23:07:37.949Z", true, nil},
		{"epoch seconds whole", mapping.Args{"format": "epochSeconds"}, 0, json.Number("1689980858"), "2023-07-21T23:07:38Z", true, int64(1689980858)},
		{"date", mapping.Args{"format": "date"}, 0, "2024-03-01", "2024-03-01T00:00:00Z", true, nil},
		{"date with offset arg", mapping.Args{"format": "date", "offset": "+05:30"}, 0, "2024-03-01", "2024-02-29T18:30:00Z", true, nil},
		{"offset arg overrides option", mapping.Args{"format": "2006-01-02 15:04", "offset": "Z"}, time.Hour, "2024-03-01 10:00", "2024-03-01T10:00:00Z", true, nil},
		{"option offset with layout", mapping.Args{"format": "2006-01-02 15:04"}, -3 * time.Hour, "2024-03-01 10:00", "2024-03-01T13:00:00Z", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := converter(t, "dateTime", tc.args, mapping.Options{DateTimeOffset: tc.offset})
			got, err := c.FromTarget(tc.target)
			if err != nil {
				t.Fatalf("FromTarget: %v", err)
			}
			if got != tc.scim {
				t.Errorf("FromTarget(%v) = %v, want %s", tc.target, got, tc.scim)
			}
			if !tc.toTarget {
				return
			}
			back, err := c.ToTarget(tc.scim)
			if err != nil {
				t.Fatalf("ToTarget: %v", err)
			}
			want := tc.targetBack
			if want == nil {
				want = tc.target
			}
			if back != want {
				t.Errorf("ToTarget(%s) = %#v, want %#v", tc.scim, back, want)
			}
		})
	}
	c := converter(t, "dateTime", nil, mapping.Options{})
	runConv(t, c.FromTarget, []convCase{
		{".NET never", "0001-01-01T00:00:00Z", nil, ""},
		{"garbage", "yesterday", nil, "not an RFC 3339"},
		{"number for string format", 12.0, nil, "want a date-time string"},
	})
	runConv(t, c.ToTarget, []convCase{
		{"zone-less SCIM is UTC", "2024-01-02T03:04:05", "2024-01-02T03:04:05Z", ""},
		{"not a date", "soon", nil, "not an xsd:dateTime"},
		{"not a string", true, nil, "want a string"},
	})
	millis := converter(t, "dateTime", mapping.Args{"format": "epochMillis"}, mapping.Options{})
	runConv(t, millis.FromTarget, []convCase{{"not a number", "x", nil, "want an epoch number"}})
	offsets := []string{"+0530", "-02", "Z"}
	for _, o := range offsets {
		if _, err := mapping.NewConverter("dateTime", mapping.Args{"offset": o}, mapping.Options{}); err != nil {
			t.Errorf("offset %q rejected: %v", o, err)
		}
	}
}

func TestSingleToMulti(t *testing.T) {
	c := converter(t, "singleToMulti", nil, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"scalar", "Engineer", []any{"Engineer"}, ""},
		{"array stays", []any{"a"}, []any{"a"}, ""},
	})
	runConv(t, c.FromTarget, []convCase{
		{"first", []any{"a", "b"}, "a", ""},
		{"skips null", []any{nil, "b"}, "b", ""},
		{"all null", []any{nil}, nil, ""},
		{"scalar", "a", "a", ""},
	})
}

func TestMultiToSingle(t *testing.T) {
	c := converter(t, "multiToSingle", mapping.Args{"type": "work"}, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"primary", []any{map[string]any{"value": "a"}, map[string]any{"value": "b", "primary": true}}, "b", ""},
		{"first", []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}}, "a", ""},
		// The target holds the work value and reads it back as type work:
		// the first value of another type would come back relabelled.
		{"type before first", []any{map[string]any{"value": "a", "type": "home"}, map[string]any{"value": "b", "type": "Work"}}, "b", ""},
		{"primary before type", []any{map[string]any{"value": "a", "type": "work"}, map[string]any{"value": "b", "type": "home", "primary": true}}, "b", ""},
		{"first without the type", []any{map[string]any{"value": "a", "type": "home"}, map[string]any{"value": "b", "type": "other"}}, "a", ""},
		{"single object", map[string]any{"value": "a"}, "a", ""},
		{"empty", []any{}, nil, ""},
	})
	runConv(t, c.FromTarget, []convCase{
		{"scalar", "a@x", []any{map[string]any{"value": "a@x", "type": "work", "primary": true}}, ""},
		{"array", []any{"a", nil, "b"}, []any{
			map[string]any{"value": "a", "type": "work", "primary": true},
			map[string]any{"value": "b", "type": "work"}}, ""},
		{"null only", []any{nil}, nil, ""},
	})
	plain := converter(t, "multiToSingle", mapping.Args{"sub": "", "primary": "false"}, mapping.Options{})
	runConv(t, plain.ToTarget, []convCase{{"simple values", []any{"x", "y"}, "x", ""}})
	runConv(t, plain.FromTarget, []convCase{{"simple values", "x", []any{"x"}, ""}})
	display := converter(t, "multiToSingle", mapping.Args{"sub": "display", "primary": "false"}, mapping.Options{})
	runConv(t, display.FromTarget, []convCase{{"other sub", "D", []any{map[string]any{"display": "D"}}, ""}})
}

func TestConstant(t *testing.T) {
	tests := []struct {
		args mapping.Args
		want any
	}{
		{mapping.Args{"value": "user"}, "user"},
		{mapping.Args{"value": "true", "type": "boolean"}, true},
		{mapping.Args{"value": "3", "type": "number"}, int64(3)},
		{mapping.Args{"value": "2.5", "type": "number"}, 2.5},
	}
	for _, tc := range tests {
		c := converter(t, "constant", tc.args, mapping.Options{})
		if got, err := c.ToTarget(nil); err != nil || got != tc.want {
			t.Errorf("constant %v: ToTarget = %#v, %v; want %#v", tc.args, got, err, tc.want)
		}
		if got, err := c.FromTarget("anything"); err != nil || got != nil {
			t.Errorf("constant %v: FromTarget = %v, %v; want nil", tc.args, got, err)
		}
	}
	// A null constant is written as an explicit null.
	table := mapping.Table{{Target: "manager", Dir: mapping.ToTarget, Transform: "constant", Args: mapping.Args{"type": "null"}}}
	got, _, err := table.ToTarget(map[string]any{}, mapping.Options{})
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	if v, ok := got["manager"]; !ok || v != nil {
		t.Errorf("ToTarget = %v, want an explicit null manager", got)
	}
}

func TestLower(t *testing.T) {
	c := converter(t, "lower", nil, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"mixed", "Ann@Example.COM", "ann@example.com", ""},
		{"not a string", 1.0, nil, "want a string"},
	})
	runConv(t, c.FromTarget, []convCase{{"as stored", "Ann@x", "Ann@x", ""}})
}

func TestStringBool(t *testing.T) {
	c := converter(t, "stringBool", nil, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"true", true, "true", ""},
		{"false", false, "false", ""},
		{"bad", "maybe", nil, "want a boolean"},
	})
	runConv(t, c.FromTarget, []convCase{
		{"string", "true", true, ""},
		{"capitalised", "False", false, ""},
		{"boolean", true, true, ""},
		{"bad", "1", nil, "not a boolean"},
	})
	b := converter(t, "stringBool", mapping.Args{"target": "boolean"}, mapping.Options{})
	runConv(t, b.ToTarget, []convCase{{"JSON boolean", true, true, ""}})
}

func TestJSON(t *testing.T) {
	c := converter(t, "json", nil, mapping.Options{})
	runConv(t, c.ToTarget, []convCase{
		{"object", `{"b":1,"a":"x"}`, map[string]any{"b": json.Number("1"), "a": "x"}, ""},
		{"JSON array text", `[1, 2]`, []any{json.Number("1"), json.Number("2")}, ""},
		{"multi format", `[{"k":1};; {"k":2}]`, []any{map[string]any{"k": json.Number("1")}, map[string]any{"k": json.Number("2")}}, ""},
		{"big integer kept exact", `{"n":12345678901234567890}`, map[string]any{"n": json.Number("12345678901234567890")}, ""},
		{"not JSON", `{oops`, nil, "neither JSON nor"},
		{"bad element", `[{"k":1};; nope]`, nil, "element 2"},
		{"not a string", 1.0, nil, "want JSON text"},
	})
	runConv(t, c.FromTarget, []convCase{
		{"object sorted", map[string]any{"b": 1.0, "a": "<x>"}, `{"a":"<x>","b":1}`, ""},
		{"array", []any{map[string]any{"k": 1.0}, "s"}, `[{"k":1};; "s"]`, ""},
		{"string", "abc", `"abc"`, ""},
	})
	target := converter(t, "json", mapping.Args{"encoded": "target"}, mapping.Options{})
	runConv(t, target.ToTarget, []convCase{{"structure to text", map[string]any{"a": []any{1.0, true}}, `{"a":[1,true]}`, ""}})
	runConv(t, target.FromTarget, []convCase{
		{"text to structure", `{"a":1}`, map[string]any{"a": json.Number("1")}, ""},
		{"already structured", map[string]any{"a": 1.0}, map[string]any{"a": 1.0}, ""},
		{"trailing data", `{"a":1} {}`, nil, "data after the value"},
		{"invalid", `{"a":`, nil, "invalid JSON"},
	})
}

func TestMultiFormatTransform(t *testing.T) {
	c := converter(t, "multiFormat", nil, mapping.Options{})
	runConv(t, c.FromTarget, []convCase{
		{"array", []any{"abcd", "efgh"}, "[abcd;; efgh]", ""},
		{"mixed scalars", []any{"a", 1.0, true, map[string]any{"k": "v"}}, `[a;; 1;; true;; {"k":"v"}]`, ""},
		{"scalar passes", "plain", "plain", ""},
	})
	runConv(t, c.ToTarget, []convCase{
		{"format to array", "[abcd;; efgh;; xyzw;; uvty]", []any{"abcd", "efgh", "xyzw", "uvty"}, ""},
		{"plain string", "plain", "plain", ""},
		{"boolean passes", true, true, ""},
	})
}

func TestFromTargetPrunesEmptyElements(t *testing.T) {
	table := mapping.Table{
		{SCIM: "groups[].value", Target: "memberships[].group.id"},
		{SCIM: E + "costCenter", Target: "cc"},
	}
	got, err := table.FromTarget(decode(t, `{"memberships":[{"group":{"name":"no id"}},{"group":{"id":"g2"}},{}],"cc":""}`), mapping.Options{})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	want := map[string]any{"groups": []any{map[string]any{"value": "g2"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}
