package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// instance is an opened connector instance.
type instance struct {
	conn     *Connector
	types    []provider.ResourceType
	features provider.Features
	closer   func() error
	check    func(ctx context.Context) error
	disabled map[string][]string // lower-case endpoint name → disabled paths
	log      *slog.Logger
}

var (
	_ connector.Instance = (*instance)(nil)
	_ connector.Wrapper  = (*instance)(nil)
)

// Open opens an instance of c: it parses the instance's custom attributes
// (env.CustomAttributes) against c.CustomTypes, applies custom and
// disabled attributes (env.DisabledAttributes) to the resource types and
// tables, connects to the target and builds one provider.Backend per
// resource type. Configuration mistakes are reported together.
func Open(ctx context.Context, c *Connector, env connector.Env, params json.RawMessage) (connector.Instance, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var custom []mapping.CustomAttribute
	if strings.TrimSpace(env.CustomAttributes) != "" {
		if len(c.CustomTypes) == 0 {
			return nil, fmt.Errorf("%s: this connector accepts no custom attributes", c.Name)
		}
		var err error
		if custom, err = mapping.ParseCustomAttributes(env.CustomAttributes, c.CustomTypes); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	in := &instance{conn: c, disabled: map[string][]string{}, log: log}
	plans, err := plan(c, custom, env.DisabledAttributes, env.Version)
	if err != nil {
		return nil, err
	}
	targets, err := c.Connect(ctx, env, params, custom)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	if targets.Closer != nil {
		in.closer = targets.Closer.Close
	}
	in.check = targets.Check
	var ext ExternalIDs = NewMemoryExternalIDs()
	if env.Store != nil {
		ext = &StoreExternalIDs{Store: env.Store, Instance: env.Instance}
	}
	var errs []error
	versioned := len(plans) > 0
	for _, p := range plans {
		t := targets.ByType[p.decl.Type.Name]
		if t == nil {
			errs = append(errs, fmt.Errorf("%s: no target for resource type %s", c.Name, p.decl.Type.Name))
			continue
		}
		b, err := newBackend(c, p, t, ext, log)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		in.types = append(in.types, provider.ResourceType{Type: p.rt, Backend: b})
		if b.ver == nil {
			versioned = false
		}
		if len(p.disabled) > 0 {
			in.disabled[strings.ToLower(strings.TrimPrefix(p.rt.Endpoint, "/"))] = p.disabled
		}
		if p.decl.Ops.Has(OpPatch) {
			in.features.Patch = true
		}
		if p.decl.Ops.Has(OpList) {
			in.features.Filter = true
			in.features.CursorPaging = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = in.Close()
		return nil, err
	}
	// Bulk is served by the provider over the backends; Sort would need
	// the whole result set in the gateway, which targets without sort do
	// not allow at scale; ETags need versions from every target
	// (Versioner).
	in.features.Bulk = true
	in.features.ETag = versioned
	in.features.ChangePassword = c.ChangePassword
	return in, nil
}

// resourcePlan is a declared resource type with the instance's custom and
// disabled attributes applied.
type resourcePlan struct {
	decl     *Resource
	rt       *schema.ResourceType
	table    mapping.Table
	disabled []string
}

func plan(c *Connector, custom []mapping.CustomAttribute, disabled []string, version string) ([]resourcePlan, error) {
	if version == "" {
		version = c.Version
	}
	var plans []resourcePlan
	used := make([]bool, len(disabled))
	blocked := make([][]string, len(disabled)) // why each path stays, per resource type
	var errs []error
	for i := range c.Resources {
		d := &c.Resources[i]
		rt := d.Type.Clone()
		rt.Description = strings.TrimSpace(rt.Description + fmt.Sprintf(" (connector %s %s)", c.Name, version))
		table := append(mapping.Table(nil), d.Table...)
		if d.Custom && len(custom) > 0 {
			if err := mapping.AddCustomAttributes(rt, custom); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
				continue
			}
			table = append(table, mapping.CustomRules(custom, c.CustomTarget)...)
		}
		// A path applies to every resource type that defines it and can
		// do without it: "displayName" disables the User's, while the
		// Group's is required. An attribute a type requires, or that
		// holds one of its mandatory fields, stays: disabling it would
		// strip what every create must carry.
		var mine []string
		for j, p := range disabled {
			r, ok := rt.ResolvePath(p)
			if !ok {
				continue
			}
			if why := requiredBy(r, d.Mandatory, p); why != "" {
				blocked[j] = append(blocked[j], fmt.Sprintf("%s %s", rt.Name, why))
				continue
			}
			mine = append(mine, p)
			used[j] = true
		}
		if len(mine) > 0 {
			var err error
			if rt, err = mapping.DisableAttributes(rt, mine); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
				continue
			}
			table = table.Without(mine)
		}
		// The schema describes what the target stores: attributes no rule
		// maps are treated as disabled. They leave /Schemas and requests
		// naming them are accepted with them ignored, as the seeds do for
		// disabled attributes: identity providers send standard attributes
		// by default (Entra sends name.formatted), and refusing them would
		// fail every provisioning of such a user. The types a multi-valued
		// attribute's rules keep become its type's canonical values (Okta:
		// work), and the mandatory paths are marked required.
		if unmapped := table.Unmapped(rt, d.Members); len(unmapped) > 0 {
			var err error
			if rt, err = mapping.DisableAttributes(rt, unmapped); err != nil {
				errs = append(errs, fmt.Errorf("%s: unmapped attributes: %w", c.Name, err))
				continue
			}
			mine = append(mine, unmapped...)
		}
		table.NarrowTypes(rt)
		markRequired(rt, d.Mandatory)
		plans = append(plans, resourcePlan{decl: d, rt: rt, table: table, disabled: mine})
	}
	for j, ok := range used {
		switch {
		case ok:
		case len(blocked[j]) > 0:
			errs = append(errs, fmt.Errorf("%s: disabled attribute %q cannot be disabled: %s", c.Name, disabled[j], strings.Join(blocked[j], "; ")))
		default:
			errs = append(errs, fmt.Errorf("%s: disabled attribute %q is not an attribute of any resource type", c.Name, disabled[j]))
		}
	}
	return plans, errors.Join(errs...)
}

// requiredBy says why the attribute r, named by the disabled path p, cannot
// be disabled in its resource type: the schema requires it, or it is or
// holds one of the connector's mandatory fields. "" when it can be.
func requiredBy(r schema.Resolved, mandatory []string, p string) string {
	if (r.Sub == nil && r.Attr != nil && r.Attr.Required) || (r.Sub != nil && r.Sub.Required) {
		return "requires it"
	}
	for _, m := range mandatory {
		if mapping.IsDisabled(m, []string{p}) {
			return fmt.Sprintf("needs %s (mandatory)", strings.TrimSpace(m))
		}
	}
	return ""
}

// markRequired marks the mandatory paths of a resource type required in
// its schema, so that discovery says what a create must carry. A
// mandatory sub-attribute ("name.givenName") makes its single-valued
// parent required too: the schema checks required sub-attributes only in
// a value that is present. Paths rt does not define are left alone (the
// backend's own check reports them).
func markRequired(rt *schema.ResourceType, mandatory []string) {
	for _, p := range mandatory {
		r, ok := rt.ResolvePath(strings.TrimSpace(p))
		if !ok || r.Schema == nil || r.Attr == nil {
			continue
		}
		if r.Sub != nil {
			if r.Attr.MultiValued {
				continue
			}
			r.Sub.Required = true
		}
		r.Attr.Required = true
	}
}

// ResourceTypes implements connector.Instance.
func (in *instance) ResourceTypes() []provider.ResourceType { return in.types }

// Features implements connector.Instance: they follow from the declaration.
func (in *instance) Features() provider.Features { return in.features }

// TestConnection makes the target's cheap authenticated call (Targets.Check);
// without one it reports that the connector has no connection test.
func (in *instance) TestConnection(ctx context.Context) error {
	if in.check == nil {
		return connector.ErrNoConnectionTest
	}
	// Connectors name themselves in their errors ("okta: connection
	// test: ..."), as they do for every call.
	return in.check(ctx)
}

// Close implements connector.Instance.
func (in *instance) Close() error {
	if in.closer == nil {
		return nil
	}
	return in.closer()
}

// Wrap implements connector.Wrapper: it removes disabled attributes from
// POST and PUT bodies (see stripHandler).
func (in *instance) Wrap(next http.Handler) http.Handler {
	if len(in.disabled) == 0 {
		return next
	}
	return newStripHandler(next, in.disabled, in.log)
}
