package httpx

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recordingObserver keeps the outcomes it is told.
type recordingObserver struct {
	mu    sync.Mutex
	calls []observedCall
}

type observedCall struct {
	Method, Path               string
	Status, Retries, Throttled int
}

func (o *recordingObserver) ObserveTargetCall(_ context.Context, c Call) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c.Elapsed < 0 {
		panic("negative duration")
	}
	o.calls = append(o.calls, observedCall{c.Method, c.Path, c.Status, c.Retries, c.Throttled})
}

func TestObserver(t *testing.T) {
	tests := []struct {
		name   string
		method string
		codes  []int
		want   observedCall
	}{
		{"success", "GET", []int{200}, observedCall{"GET", "/x", 200, 0, 0}},
		{"429 then success", "GET", []int{429, 429, 200}, observedCall{"GET", "/x", 200, 2, 2}},
		{"503 then success", "GET", []int{503, 200}, observedCall{"GET", "/x", 200, 1, 0}},
		{"retries exhausted", "GET", []int{500}, observedCall{"GET", "/x", 500, 3, 0}},
		{"POST 500 not repeated", "POST", []int{500}, observedCall{"POST", "/x", 500, 0, 0}},
		{"POST 429 repeated", "POST", []int{429, 201}, observedCall{"POST", "/x", 201, 1, 1}},
		{"404 final", "GET", []int{404}, observedCall{"GET", "/x", 404, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := newTarget(t, statuses(tt.codes...))
			obs := &recordingObserver{}
			cfg := fastConfig(target.URL)
			cfg.Observer = obs
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do(context.Background(), &Request{Method: tt.method, Path: "/x", Query: url.Values{"search": {"profile.email eq \"a@b\""}}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]observedCall{tt.want}, obs.calls); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no response", func(t *testing.T) {
		target := newTarget(t, statuses(200))
		target.Close()
		obs := &recordingObserver{}
		cfg := fastConfig(target.URL)
		cfg.Observer = obs
		cfg.MaxRetries = 1
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err == nil {
			t.Fatal("call to a closed server succeeded")
		}
		if diff := cmp.Diff([]observedCall{{"GET", "/x", 0, 1, 0}}, obs.calls); diff != "" {
			t.Errorf("observed (-want +got):\n%s", diff)
		}
	})
	t.Run("without observer", func(t *testing.T) {
		target := newTarget(t, statuses(http.StatusOK))
		c, err := New(fastConfig(target.URL))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPathLabel checks that a path holding personal data (a login) is
// sent as is but reported by its label: to the observer (the audit log),
// in the debug log and in transport errors.
func TestPathLabel(t *testing.T) {
	const login = "ada.lovelace@example.com"
	var gotPath string
	target := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		w.WriteHeader(http.StatusOK)
	})
	var logs bytes.Buffer
	obs := &recordingObserver{}
	cfg := fastConfig(target.URL)
	cfg.Observer = obs
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.MaxRetries = 1
	c := mustNew(t, cfg)
	req := &Request{Path: "/users/" + url.PathEscape(login), PathLabel: "/users/{login}"}
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/users/"+login {
		t.Errorf("target got path %q, want /users/%s", gotPath, login)
	}
	target.Close()
	_, err := c.Do(context.Background(), req)
	if err == nil {
		t.Fatal("call to a closed server succeeded")
	}
	want := []observedCall{{"GET", "/users/{login}", 200, 0, 0}, {"GET", "/users/{login}", 0, 1, 0}}
	if diff := cmp.Diff(want, obs.calls); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "/users/{login}") {
		t.Errorf("debug log does not show the label:\n%s", logs.String())
	}
	for what, text := range map[string]string{"debug log": logs.String(), "error": err.Error()} {
		if strings.Contains(text, "lovelace") {
			t.Errorf("%s holds the login: %s", what, text)
		}
	}
}
