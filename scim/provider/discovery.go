package provider

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Features are the optional protocol features a provider advertises in
// /ServiceProviderConfig (RFC 7643 §5). They must say exactly what the
// backends support.
type Features struct {
	Patch          bool
	Bulk           bool
	Filter         bool
	Sort           bool
	ETag           bool
	ChangePassword bool
	CursorPaging   bool
}

// AllFeatures enables every feature.
var AllFeatures = Features{Patch: true, Bulk: true, Filter: true, Sort: true, ETag: true, ChangePassword: true, CursorPaging: true}

// AuthScheme is an authentication scheme advertised in /ServiceProviderConfig.
type AuthScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SpecURI     string `json:"specUri,omitempty"`
	Primary     bool   `json:"primary,omitempty"`
}

// BearerTokenScheme is the static bearer token scheme (RFC 6750).
var BearerTokenScheme = AuthScheme{
	Type:        "oauthbearertoken",
	Name:        "OAuth Bearer Token",
	Description: "Authentication with a bearer token in the Authorization header.",
	SpecURI:     "https://www.rfc-editor.org/info/rfc6750",
	Primary:     true,
}

type discoveryFunc func(rest string) (any, error)

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request, rest string, fn discoveryFunc) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		p.writeError(w, r, methodNotAllowed(r, "discovery endpoints"))
		return
	}
	// RFC 7644 §4: filters on discovery endpoints are refused with 403.
	if r.URL.Query().Get("filter") != "" {
		p.writeError(w, r, scim.Errorf(http.StatusForbidden, "", "filtering is not supported on discovery endpoints"))
		return
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		p.writeError(w, r, scim.NotFound("no such discovery resource %q", rest))
		return
	}
	doc, err := fn(id)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func (p *Provider) features() Features {
	return p.cfg.Features
}

func (p *Provider) serviceProviderConfig(rest string) (any, error) {
	if rest != "" {
		return nil, scim.NotFound("no such resource %q", "/ServiceProviderConfig/"+rest)
	}
	f := p.features()
	schemes := p.cfg.AuthSchemes
	if len(schemes) == 0 {
		schemes = []AuthScheme{BearerTokenScheme}
	}
	pagination := map[string]any{
		"cursor":                  f.CursorPaging,
		"index":                   true,
		"defaultPaginationMethod": "index",
		"defaultPageSize":         p.cfg.DefaultPageSize,
		"maxPageSize":             p.cfg.MaxPageSize,
	}
	if f.CursorPaging {
		pagination["cursorTimeout"] = int(p.cfg.CursorTTL.Seconds())
	}
	bulk := map[string]any{"supported": f.Bulk, "maxOperations": 0, "maxPayloadSize": 0}
	if f.Bulk {
		bulk["maxOperations"] = p.cfg.BulkMaxOperations
		bulk["maxPayloadSize"] = p.cfg.BulkMaxPayload
	}
	return map[string]any{
		"schemas":               []string{scim.ServiceProviderConfigSchema},
		"documentationUri":      p.cfg.DocumentationURI,
		"patch":                 map[string]any{"supported": f.Patch},
		"bulk":                  bulk,
		"filter":                map[string]any{"supported": f.Filter, "maxResults": p.cfg.MaxPageSize},
		"changePassword":        map[string]any{"supported": f.ChangePassword},
		"sort":                  map[string]any{"supported": f.Sort},
		"etag":                  map[string]any{"supported": f.ETag},
		"pagination":            pagination,
		"authenticationSchemes": schemes,
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     p.base + "/ServiceProviderConfig",
		},
	}, nil
}

func discoveryList(items []any) any {
	n := len(items)
	one := 1
	return listResponseAny{Schemas: []string{scim.ListResponseSchema}, TotalResults: n, ItemsPerPage: n, StartIndex: one, Resources: items}
}

type listResponseAny struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex"`
	Resources    []any    `json:"Resources"`
}

func (p *Provider) resourceTypesDoc(id string) (any, error) {
	var items []any
	for _, t := range p.types {
		doc := t.Type.Resource(p.base + "/ResourceTypes/" + url.PathEscape(t.Type.ID))
		if id != "" {
			if strings.EqualFold(id, t.Type.ID) || strings.EqualFold(id, t.Type.Name) {
				return doc, nil
			}
			continue
		}
		items = append(items, doc)
	}
	if id != "" {
		return nil, scim.NotFound("no such resource type %q", id)
	}
	return discoveryList(items), nil
}

// schemas returns every schema the provider's resource types use, once.
func (p *Provider) schemas() []*schema.Schema {
	var out []*schema.Schema
	seen := map[string]bool{}
	add := func(s *schema.Schema) {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, s)
		}
	}
	for _, t := range p.types {
		add(t.Type.Schema)
		for _, e := range t.Type.Extensions {
			add(e.Schema)
		}
	}
	return out
}

func (p *Provider) schemasDoc(id string) (any, error) {
	var items []any
	for _, s := range p.schemas() {
		doc := s.Resource(p.base + "/Schemas/" + s.ID)
		if id != "" {
			if strings.EqualFold(id, s.ID) {
				return doc, nil
			}
			continue
		}
		items = append(items, doc)
	}
	if id != "" {
		return nil, scim.NotFound("no such schema %q", id)
	}
	return discoveryList(items), nil
}
