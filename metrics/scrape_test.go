package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimconnect/scimconnect/metrics/metricstest"
)

// scrape fetches h's text exposition and returns each sample's value by
// its series as printed, e.g. `x_total{a="1",b="2"}`.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", w.Code, w.Body)
	}
	return metricstest.Samples(t, w.Body)
}

var labelPair = metricstest.LabelPair

func canon(series string) string { return metricstest.Canon(series) }
