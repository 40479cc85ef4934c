package schema

import "testing"

// Run with: go test -run '^$' -bench . -benchmem ./scim/schema/

func BenchmarkValidateUser(b *testing.B) {
	b.Run("fullUser", func(b *testing.B) { benchValidate(b, fullUserJSON) })
	b.Run("entraCreate", func(b *testing.B) { benchValidate(b, entraCreateJSON) })
}

func benchValidate(b *testing.B, body string) {
	rt := UserResourceType()
	m := decodeJSON(b, body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Validate(m, Create, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateGroupMembers(b *testing.B) {
	members := make([]any, 5000)
	for i := range members {
		members[i] = map[string]any{"value": string(rune(0x4e00 + i)), "type": "User"}
	}
	body := map[string]any{"schemas": []any{GroupSchemaDef().ID}, "displayName": "All", "members": members}
	rt := GroupResourceType()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Validate(body, Replace, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProjectionNil measures responses without attributes or
// excludedAttributes: the default projection from NewProjection(nil, nil)
// and a nil *Projection, on a resource with nothing to strip (the fast
// path) and on one holding a password.
func BenchmarkProjectionNil(b *testing.B) {
	rt := UserResourceType()
	clean := decodeJSON(b, storedUserJSON)
	delete(clean, "password")
	withPassword := decodeJSON(b, storedUserJSON)
	for _, bc := range []struct {
		name string
		res  map[string]any
	}{{"nothingToStrip", clean}, {"stripPassword", withPassword}} {
		b.Run("default/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := rt.NewProjection(nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				if out := p.Apply(bc.res); len(out) == 0 {
					b.Fatal("empty projection")
				}
			}
		})
		b.Run("nil/"+bc.name, func(b *testing.B) {
			var p *Projection
			b.ReportAllocs()
			for b.Loop() {
				if out := p.Apply(bc.res); len(out) == 0 {
					b.Fatal("empty projection")
				}
			}
		})
	}
}

func BenchmarkProjectionAttributes(b *testing.B) {
	rt := UserResourceType()
	res := decodeJSON(b, storedUserJSON)
	for _, bc := range []struct {
		name                 string
		attributes, excluded []string
	}{
		{"attributes", []string{"userName", "name.givenName", "emails.value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}, nil},
		{"excludedAttributes", nil, []string{"groups", "emails.type"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := rt.NewProjection(bc.attributes, bc.excluded)
				if err != nil {
					b.Fatal(err)
				}
				if out := p.Apply(res); len(out) == 0 {
					b.Fatal("empty projection")
				}
			}
		})
	}
}
