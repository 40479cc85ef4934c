package admin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/metrics"
)

// openAPIRoutes returns "METHOD /admin/v1/path" for every operation in
// openapi.yaml.
func openAPIRoutes(t *testing.T) []string {
	t.Helper()
	var doc struct {
		OpenAPI string `yaml:"openapi"`
		Servers []struct {
			URL string `yaml:"url"`
		} `yaml:"servers"`
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(admin.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != admin.Prefix {
		t.Fatalf("servers %+v, want one at %s", doc.Servers, admin.Prefix)
	}
	var out []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				out = append(out, strings.ToUpper(method)+" "+admin.Prefix+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	documented := openAPIRoutes(t)
	var served []string
	for _, r := range admin.Routes() {
		served = append(served, r[0]+" "+r[1])
	}
	slices.Sort(served)
	t.Run("every served route is documented", func(t *testing.T) {
		for _, s := range served {
			if !slices.Contains(documented, s) {
				t.Errorf("%s is served but not in openapi.yaml", s)
			}
		}
	})
	t.Run("every documented route is served", func(t *testing.T) {
		f := newFixture(t, "")
		for _, d := range documented {
			method, path, _ := strings.Cut(d, " ")
			// A missing instance answers 404 not_found: the route exists.
			path = strings.ReplaceAll(path, "{name}", "no-such-instance")
			var body any
			if method == "POST" || method == "PUT" {
				body = map[string]any{}
			}
			w := f.do(method, path, adminToken, body)
			if w.Code == http.StatusMethodNotAllowed || (w.Code == http.StatusNotFound && errorOf(t, w).Error.Code == "no_such_route") {
				t.Errorf("%s: %d %s", d, w.Code, w.Body)
			}
		}
	})
}

// TestOpenAPIAuditOperations: the audit record's operation enum names
// every operation the gateway records.
func TestOpenAPIAuditOperations(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				AuditRecord struct {
					Properties struct {
						Operation struct {
							Enum []string `yaml:"enum"`
						} `yaml:"operation"`
					} `yaml:"properties"`
				} `yaml:"AuditRecord"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(admin.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.AuditRecord.Properties.Operation.Enum
	var recorded []string
	for o := metrics.Operation(0); o == 0 || o.String() != metrics.OpOther.String(); o++ {
		recorded = append(recorded, o.String())
	}
	slices.Sort(documented)
	slices.Sort(recorded)
	if !slices.Equal(documented, recorded) {
		t.Errorf("openapi.yaml AuditRecord.operation enum %v, the gateway records %v", documented, recorded)
	}
}
