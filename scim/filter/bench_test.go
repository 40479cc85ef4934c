package filter

import (
	"fmt"
	"testing"
)

const complexFilter = `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org") and ` +
	`not (meta.lastModified lt "2011-05-13T04:42:34Z") and emails[type eq "work" and value co "@example.com"] and ` +
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr`

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"simple", `userName eq "x"`},
		{"complex", complexFilter},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				if _, err := Parse(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	rt := testUserType()
	res := decodeResource(b, bjensenJSON, false)
	for _, bc := range []struct{ name, in string }{
		{"simple", `userName eq "BJENSEN@example.com"`},
		{"complex", complexFilter},
		{"number", `loginCount gt 3`},
		{"dateTime", `meta.lastModified ge "2011-05-13T04:42:34Z"`},
		{"valuePath", `emails[type eq "home" and value ew "jensen.org"]`},
	} {
		e := mustParse(b, bc.in)
		if !Match(e, res, rt) {
			b.Fatalf("%s does not match the fixture", bc.in)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Match(e, res, rt)
			}
		})
		m, err := Compile(e, rt)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name+"/compiled", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(res)
			}
		})
	}
}

func BenchmarkSort(b *testing.B) {
	rt := testUserType()
	base := make([]map[string]any, 1000)
	for i := range base {
		base[i] = map[string]any{"userName": fmt.Sprintf("User%04d", (i*7919)%1000)}
	}
	work := make([]map[string]any, len(base))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, base)
		if err := Sort(work, rt, "userName", false); err != nil {
			b.Fatal(err)
		}
	}
}
