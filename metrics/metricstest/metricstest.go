// Package metricstest reads the Prometheus text format in tests, so that
// tests can assert on series values without a scraper.
package metricstest

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// LabelPair matches one `name="value"` label of a series.
var LabelPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

// Samples reads a text-format body and returns each sample's value by its
// series in Canon form, e.g. `x_total{a="1",b="2"}`.
func Samples(t testing.TB, body io.Reader) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("metrics: malformed line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics: line %q: %v", line, err)
		}
		samples[Canon(line[:i])] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("metrics: %v", err)
	}
	return samples
}

// Canon returns a series with its labels in name order, as Prometheus
// prints them, so that tests can write labels in any order.
func Canon(series string) string {
	name, labels, ok := strings.Cut(series, "{")
	if !ok {
		return series
	}
	pairs := LabelPair.FindAllString(labels, -1)
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}
