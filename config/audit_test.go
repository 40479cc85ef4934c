package config

import (
	"testing"
	"time"
)

func TestAuditRetention(t *testing.T) {
	tests := []struct {
		name, src string
		want      time.Duration
		on        bool
		errs      []string
	}{
		{"default", ``, DefaultAuditRetention, true, nil},
		{"empty section", `audit: {}`, DefaultAuditRetention, true, nil},
		{"a week", `audit: {retention: 168h}`, 168 * time.Hour, true, nil},
		{"off", `audit: {retention: "off"}`, 0, false, nil},
		{"zero is ambiguous", `audit: {retention: "0"}`, 0, false, []string{`audit.retention: "0" is too short`}},
		{"too short", `audit: {retention: 30m}`, 0, false, []string{`audit.retention: "30m" is too short: at least 1h`}},
		{"negative", `audit: {retention: -1h}`, 0, false, []string{"audit.retention:"}},
		{"not a duration", `audit: {retention: 30d}`, 0, false, []string{`audit.retention: "30d" must be a duration such as "720h"`}},
		{"unknown key", `audit: {keep: 1h}`, 0, false, []string{"audit.keep: unknown key (line 1); audit takes retention"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := parseExpecting(t, tc.src, tc.errs)
			if f == nil {
				return
			}
			got, on := f.Audit.RetentionPeriod()
			if got != tc.want || on != tc.on {
				t.Errorf("RetentionPeriod() = %v, %v; want %v, %v", got, on, tc.want, tc.on)
			}
		})
	}
}
