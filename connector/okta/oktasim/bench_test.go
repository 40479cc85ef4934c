package oktasim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const benchUsers = 50000

func benchServer(b *testing.B) (*Server, []User) {
	b.Helper()
	sim := New(WithSeed(7), WithRateLimit(0, time.Minute), WithBaseURL("https://acme.okta.com"))
	return sim, seedUsers(b, sim, benchUsers, StatusActive)
}

func serve(b *testing.B, sim *Server, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "SSWS "+sim.Token())
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	return rec
}

// nextTarget extracts the rel="next" path+query from the Link header lines.
func nextTarget(h http.Header) string {
	for _, l := range h.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			u, err := url.Parse(strings.Trim(strings.SplitN(l, ";", 2)[0], "<>"))
			if err != nil {
				return ""
			}
			return u.RequestURI()
		}
	}
	return ""
}

func BenchmarkSeedUsers50k(b *testing.B) {
	for b.Loop() {
		sim := New(WithSeed(1))
		seedUsers(b, sim, benchUsers, StatusActive)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchUsers), "ns/user")
}

func BenchmarkListAllUsers50k(b *testing.B) {
	sim, _ := benchServer(b)
	var pages int
	for b.Loop() {
		pages = 0
		for target := "/api/v1/users?limit=200"; target != ""; pages++ {
			target = nextTarget(serve(b, sim, target).Header())
		}
	}
	if pages != benchUsers/200+1 {
		b.Fatalf("pages = %d", pages)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
}

func BenchmarkSearchAllUsers50k(b *testing.B) {
	sim, _ := benchServer(b)
	q := "/api/v1/users?limit=200&search=" + url.QueryEscape(`status eq "ACTIVE" and profile.lastName sw "la"`)
	var pages int
	for b.Loop() {
		pages = 0
		for target := q; target != ""; pages++ {
			target = nextTarget(serve(b, sim, target).Header())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
}

func BenchmarkSearchLogin50k(b *testing.B) {
	sim, _ := benchServer(b)
	target := "/api/v1/users?search=" + url.QueryEscape(`profile.login eq "user49999@example.com"`)
	for b.Loop() {
		serve(b, sim, target)
	}
}

func BenchmarkGetUserByLogin50k(b *testing.B) {
	sim, _ := benchServer(b)
	for i := 0; b.Loop(); i++ {
		serve(b, sim, fmt.Sprintf("/api/v1/users/user%05d@example.com", i%benchUsers))
	}
}

func BenchmarkListGroupMembers50k(b *testing.B) {
	sim, users := benchServer(b)
	g, err := sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "Big"}})
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		if err := sim.AddMember(g.ID, u.ID); err != nil {
			b.Fatal(err)
		}
	}
	var pages int
	for b.Loop() {
		pages = 0
		for target := "/api/v1/groups/" + g.ID + "/users?limit=200"; target != ""; pages++ {
			target = nextTarget(serve(b, sim, target).Header())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
}
