package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// result is one row of the report.
type result struct {
	Name      string  `json:"name"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ReqPerSec float64 `json:"req_per_s"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	// TotalMs is the row's wall time; for page, the time to list everyone.
	TotalMs     float64 `json:"total_ms"`
	RSSStartKiB int64   `json:"rss_start_kib,omitempty"`
	RSSPeakKiB  int64   `json:"rss_peak_kib,omitempty"`
	Skipped     bool    `json:"skipped,omitempty"`
	Note        string  `json:"note,omitempty"`
}

// report is one target's run.
type report struct {
	Label            string   `json:"label"`
	BaseURL          string   `json:"base_url"`
	CursorPagination bool     `json:"cursor_pagination"`
	Scenarios        []result `json:"scenarios"`
}

// ratio compares one row of the target with the bare server's.
type ratio struct {
	Name string `json:"name"`
	// ReqPerSec is target req/s over bare req/s: 1 matches the bare
	// server, below 1 is slower.
	ReqPerSec float64 `json:"req_per_s"`
}

// output is the whole report, the JSON document of --json.
type output struct {
	Users       int      `json:"n"`
	Requests    int      `json:"requests"`
	Concurrency int      `json:"c"`
	Duration    string   `json:"duration"`
	Batch       int      `json:"batch"`
	Runs        []report `json:"runs"`
	Ratios      []ratio  `json:"ratios,omitempty"`
}

func (o *output) hasErrors() bool {
	for _, r := range o.Runs {
		for _, s := range r.Scenarios {
			if s.Errors > 0 {
				return true
			}
		}
	}
	return false
}

// ratios pairs the rows of two runs by name.
func ratios(target, bare report) []ratio {
	byName := map[string]result{}
	for _, s := range bare.Scenarios {
		byName[s.Name] = s
	}
	var out []ratio
	for _, s := range target.Scenarios {
		b, ok := byName[s.Name]
		if !ok || s.Skipped || b.Skipped || b.ReqPerSec == 0 {
			continue
		}
		out = append(out, ratio{Name: s.Name, ReqPerSec: s.ReqPerSec / b.ReqPerSec})
	}
	return out
}

func writeJSON(w io.Writer, o *output) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(o); err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return nil
}

// writeTable prints the human report: one table per run, or with two
// runs one side-by-side table with the target/bare ratio.
func writeTable(w io.Writer, o *output) error {
	fmt.Fprintf(w, "scimbench n=%d requests=%d c=%d duration=%s batch=%d\n", o.Users, o.Requests, o.Concurrency, o.Duration, o.Batch)
	for _, r := range o.Runs {
		fmt.Fprintf(w, "%s: %s (cursor pagination: %t)\n", r.Label, r.BaseURL, r.CursorPagination)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	showRSS := false
	for _, r := range o.Runs {
		for _, s := range r.Scenarios {
			showRSS = showRSS || s.RSSPeakKiB > 0
		}
	}
	anyErrors := false
	if len(o.Runs) == 2 {
		t, b := o.Runs[0], o.Runs[1]
		bare := map[string]result{}
		for _, s := range b.Scenarios {
			bare[s.Name] = s
		}
		ratioOf := map[string]float64{}
		for _, r := range o.Ratios {
			ratioOf[r.Name] = r.ReqPerSec
		}
		head := fmt.Sprintf("%-20s\t", "scenario") + t.Label + " req/s\tp50 ms\tp99 ms\ttotal s\terrors\t" + b.Label + " req/s\tp50 ms\tp99 ms\ttotal s\terrors\t" + t.Label + "/" + b.Label + "\t"
		if showRSS {
			head += "rss MiB start→peak\t"
		}
		fmt.Fprintln(tw, head)
		for _, s := range t.Scenarios {
			bs, ok := bare[s.Name]
			anyErrors = anyErrors || s.Errors > 0 || bs.Errors > 0
			line := name(s, bs) + "\t" + cells(s) + "\t"
			if ok {
				line += cells(bs) + "\t"
			} else {
				line += "-\t-\t-\t-\t-\t"
			}
			if r, ok := ratioOf[s.Name]; ok {
				line += fmt.Sprintf("%.2fx\t", r)
			} else {
				line += "-\t"
			}
			if showRSS {
				line += rss(s) + "\t"
			}
			fmt.Fprintln(tw, line)
		}
	} else {
		for _, r := range o.Runs {
			head := fmt.Sprintf("%-20s\t", "scenario") + "requests\terrors\treq/s\tp50 ms\tp99 ms\ttotal s\t"
			if showRSS {
				head += "rss MiB start→peak\t"
			}
			fmt.Fprintln(tw, head)
			for _, s := range r.Scenarios {
				anyErrors = anyErrors || s.Errors > 0
				var line string
				if s.Skipped {
					line = fmt.Sprintf("%s\t-\t-\t-\t-\t-\t-\t", name(s, result{}))
				} else {
					line = fmt.Sprintf("%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t", name(s, result{}), s.Requests, s.Errors, s.ReqPerSec, s.P50Ms, s.P99Ms, s.TotalMs/1000)
				}
				if showRSS {
					line += rss(s) + "\t"
				}
				fmt.Fprintln(tw, line)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	// A note the first run already printed for the same row is not repeated.
	var notes []string
	said := map[string]bool{}
	for _, r := range o.Runs {
		for _, s := range r.Scenarios {
			if s.Note != "" && !said[s.Name+"\x00"+s.Note] {
				said[s.Name+"\x00"+s.Note] = true
				notes = append(notes, fmt.Sprintf("  %s %s: %s", r.Label, s.Name, s.Note))
			}
		}
	}
	if anyErrors {
		notes = append(notes, "  ! marks a scenario with errors; the first responses are on stderr")
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nnotes:\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}

// name is the row label, with "!" when either side had errors.
func name(a, b result) string {
	n := a.Name
	if a.Errors > 0 || b.Errors > 0 {
		n += " !"
	}
	return fmt.Sprintf("%-20s", n) // left-aligned in a right-aligned table
}

// cells renders req/s, p50, p99, total and errors of one side.
func cells(s result) string {
	if s.Skipped {
		return "skipped\t-\t-\t-\t-"
	}
	return fmt.Sprintf("%.1f\t%.2f\t%.2f\t%.2f\t%d", s.ReqPerSec, s.P50Ms, s.P99Ms, s.TotalMs/1000, s.Errors)
}

func rss(s result) string {
	if s.RSSPeakKiB == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f→%.1f", float64(s.RSSStartKiB)/1024, float64(s.RSSPeakKiB)/1024)
}
