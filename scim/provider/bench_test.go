package provider_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkGetUser measures GET /Users/{id} through the handler; the memory
// backend is cheap, so the figure is mostly the protocol layer's own cost.
func BenchmarkGetUser(b *testing.B) {
	f := newFixture(b)
	f.seedUsers(b, 1)
	r := newRequest(b, "GET", "/Users/1", "")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListFilter measures a filtered, sorted list of 10 out of 100
// users: query parsing, filter checking and rendering of 10 resources.
func BenchmarkListFilter(b *testing.B) {
	f := newFixture(b)
	f.seedUsers(b, 100)
	q := url.Values{"filter": {`title eq "t1" and emails[type eq "home"]`}, "sortBy": {"userName"}, "count": {"10"}}
	r := newRequest(b, "GET", "/Users?"+q.Encode(), "")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
