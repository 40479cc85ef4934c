package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseScenarios(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"all", scenarioNames, false},
		{"delete, create,get", []string{"create", "get", "delete"}, false},
		{"page,page", []string{"page"}, false},
		{"members-small", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseScenarios(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %t", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadState(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.json", `{"instances":[{"name":"local","type":"local","scim_base_url":"http://127.0.0.1:8080/scim/local/v2","token":"t1"}]}`)
	two := write("two.json", `{"instances":[{"name":"a","scim_base_url":"http://a","token":"ta"},{"name":"b","scim_base_url":"http://b","token":"tb"}]}`)
	noToken := write("notoken.json", `{"instances":[{"name":"a","scim_base_url":"http://a"}]}`)
	bad := write("bad.json", `{`)
	tests := []struct {
		name, path, instance string
		wantBase, wantToken  string
		wantErr              string
	}{
		{"only instance by default", one, "", "http://127.0.0.1:8080/scim/local/v2", "t1", ""},
		{"named", two, "b", "http://b", "tb", ""},
		{"ambiguous", two, "", "", "", "pick one with --instance"},
		{"unknown name", two, "c", "", "", `no instance "c"`},
		{"no token", noToken, "a", "", "", "no scim_base_url or token"},
		{"bad json", bad, "", "", "", "parsing state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, token, err := readState(tt.path, tt.instance)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || base != tt.wantBase || token != tt.wantToken {
				t.Errorf("got %q %q %v, want %q %q", base, token, err, tt.wantBase, tt.wantToken)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		base string
		ok   bool
	}{
		{"http://127.0.0.1:8080/scim/local/v2", true},
		{"http://127.3.4.5/", true},
		{"http://[::1]:9000", true},
		{"http://localhost:8080", true},
		{"https://LOCALHOST", true},
		{"http://10.0.0.5:8080", false},
		{"http://192.0.2.1", false},
		{"ftp://127.0.0.1", false},
		{"http:///nohost", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			err := checkLoopback(context.Background(), tt.base)
			if (err == nil) != tt.ok {
				t.Errorf("err %v, want ok=%t", err, tt.ok)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"normal", "Name:\tserver\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n", 12345, false},
		{"kernel thread", "Name:\tkthreadd\nThreads:\t1\n", 0, true},
		{"odd unit", "VmRSS:\t 12 MB\n", 0, true},
		{"not a number", "VmRSS:\t x kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRSS([]byte(tt.status))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %d, %v; want %d, err=%t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	sorted := make([]time.Duration, 100)
	for i := range sorted {
		sorted[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", []time.Duration{7}, 0.99, 7},
		{"p50 of 100", sorted, 0.50, 50 * time.Millisecond},
		{"p99 of 100", sorted, 0.99, 99 * time.Millisecond},
		{"p100", sorted, 1, 100 * time.Millisecond},
		{"p99 of 3", []time.Duration{1, 2, 3}, 0.99, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	target := report{Label: "target", BaseURL: "http://127.0.0.1:8080/scim/local/v2", Scenarios: []result{
		{Name: "get", Requests: 100, ReqPerSec: 1000, P50Ms: 1, P99Ms: 2, TotalMs: 100},
		{Name: "patch", Requests: 10, Errors: 3, ReqPerSec: 50, TotalMs: 200},
		{Name: "page", Requests: 2, ReqPerSec: 20, TotalMs: 100, Note: "200 users in 2 pages of 100", RSSStartKiB: 10240, RSSPeakKiB: 20480},
	}}
	bare := report{Label: "bare", BaseURL: "http://127.0.0.1:1", Scenarios: []result{
		{Name: "get", Requests: 400, ReqPerSec: 4000, TotalMs: 100},
		{Name: "patch", Requests: 10, ReqPerSec: 100, TotalMs: 100},
		{Name: "page", Requests: 2, ReqPerSec: 40, TotalMs: 50, Note: "200 users in 2 pages of 100"},
	}}
	o := &output{Users: 200, Concurrency: 4, Duration: "1s", Batch: 50, Runs: []report{target, bare}}
	o.Ratios = ratios(target, bare)
	if diff := cmp.Diff([]ratio{{"get", 0.25}, {"patch", 0.5}, {"page", 0.5}}, o.Ratios); diff != "" {
		t.Errorf("ratios (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := writeTable(&buf, o); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"target req/s", "bare req/s", "target/bare", "0.25x", "patch !", "10.0→20.0", "200 users in 2 pages", "! marks a scenario with errors"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "200 users in 2 pages"); n != 1 {
		t.Errorf("identical note printed %d times, want once:\n%s", n, text)
	}
}
