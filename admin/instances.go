package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/store"
)

// secretMask stands for a set secret parameter in responses; sent back in
// a PUT it keeps the stored value.
const secretMask = "<set>"

// testTimeout bounds a connection test against a target.
const testTimeout = 15 * time.Second

// typeView is a connector type as the API shows it.
type typeView struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Description string            `json:"description"`
	Parameters  []connector.Param `json:"parameters"`
}

// instanceView is an instance as the API shows it: secrets masked.
type instanceView struct {
	Name               string                     `json:"name"`
	Type               string                     `json:"type"`
	Version            string                     `json:"version"`
	Source             string                     `json:"source"` // "config" or "api"
	ReadOnly           bool                       `json:"read_only"`
	Mounted            bool                       `json:"mounted"`
	SCIMBaseURL        string                     `json:"scim_base_url"`
	Parameters         map[string]json.RawMessage `json:"parameters"`
	CustomAttributes   string                     `json:"custom_attributes"`
	DisabledAttributes []string                   `json:"disabled_attributes"`
	Auth               *authSettings              `json:"auth,omitempty"`
	Created            *time.Time                 `json:"created,omitempty"`
	Modified           *time.Time                 `json:"modified,omitempty"`
	// Token is the new SCIM bearer token: only in the answers to a create
	// and a rotation, never stored or shown again.
	Token string `json:"token,omitempty"`
}

// instanceInput is the body of a create (POST) or replace (PUT).
type instanceInput struct {
	Name               string          `json:"name"`
	Type               string          `json:"type"`
	Parameters         json.RawMessage `json:"parameters"`
	CustomAttributes   string          `json:"custom_attributes"`
	DisabledAttributes []string        `json:"disabled_attributes"`
	Auth               *authSettings   `json:"auth"`
}

// attributes are an API instance's attribute settings. store.Instance has
// no columns for them, so they are kept as a setting beside the row,
// written in the same transaction.
type attributes struct {
	CustomAttributes   string   `json:"custom_attributes,omitempty"`
	DisabledAttributes []string `json:"disabled_attributes,omitempty"`
	// Auth holds the credentials besides the SCIM token; client secrets
	// as SHA-256 only.
	Auth *authSettings `json:"auth,omitempty"`
}

func attributesKey(name string) string { return "admin.instance_attributes." + name }

// testResult is the answer of a connection test.
type testResult struct {
	OK bool `json:"ok"`
	// TargetChecked is false when the connector has no cheap target call
	// (or no target): the instance opened, nothing more was tried.
	TargetChecked bool   `json:"target_checked"`
	Message       string `json:"message"`
}

func (h *Handler) listTypes(w http.ResponseWriter, _ *http.Request) {
	out := make([]typeView, 0, len(h.opts.Registry))
	for name, t := range h.opts.Registry {
		params := t.Params
		if params == nil {
			params = []connector.Param{}
		}
		out = append(out, typeView{Name: name, Version: t.Version, Description: t.Description, Parameters: params})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"connector_types": out})
}

func (h *Handler) listInstances(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var out []instanceView
	for _, spec := range h.opts.Config {
		out = append(out, h.configView(spec))
	}
	err := h.opts.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if _, shadowed := h.config[row.Name]; shadowed {
				continue
			}
			attrs, err := loadAttributes(ctx, tx, row.Name)
			if err != nil {
				return err
			}
			out = append(out, h.storedView(row, attrs))
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, fmt.Errorf("list instances: %w", err))
		return
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if out == nil {
		out = []instanceView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": out})
}

func (h *Handler) getInstance(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if spec, ok := h.config[name]; ok {
		writeJSON(w, http.StatusOK, h.configView(spec))
		return
	}
	row, attrs, err := h.load(r.Context(), name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.storedView(row, attrs))
}

func (h *Handler) createInstance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in instanceInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case in.Name == "":
		h.fail(w, r, badRequest("missing_field", "name", "name is required"))
		return
	case !config.ValidName(in.Name):
		h.fail(w, r, badRequest("invalid_value", "name", "name %q must be 1 to 63 lowercase letters, digits, - or _, starting with a letter or digit", in.Name))
		return
	case in.Type == "":
		h.fail(w, r, badRequest("missing_field", "type", "type is required (see %s/connector-types)", Prefix))
		return
	}
	typ, ok := h.opts.Registry[in.Type]
	if !ok {
		h.fail(w, r, badRequest("unknown_type", "type", "unknown connector type %q (see %s/connector-types)", in.Type, Prefix))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.opts.Syncer.lock()()
	if _, ok := h.config[in.Name]; ok {
		h.fail(w, r, readOnly(in.Name, "name"))
		return
	}
	params, err := parseParams(in.Parameters)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	auth, err := h.prepareAuth(in.Auth, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	attrs := attributes{CustomAttributes: in.CustomAttributes, DisabledAttributes: in.DisabledAttributes, Auth: auth}
	raw, err := h.validate(ctx, in.Name, typ, typ.Version, params, attrs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sealed, err := sealParams(h.opts.Secrets, in.Name, typ, params)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	token, err := gateway.NewToken()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	row := &store.Instance{
		Name: in.Name, Type: in.Type, Version: typ.Version, Config: sealed,
		TokenHash: gateway.HashToken(token), Created: now, Modified: now,
	}
	err = h.opts.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateInstance(ctx, row); err != nil {
			return err
		}
		return putAttributes(ctx, tx, row.Name, attrs)
	})
	if errors.Is(err, store.ErrConflict) {
		h.fail(w, r, &apiError{http.StatusConflict, "conflict", fmt.Sprintf("an instance named %q exists", in.Name), "name"})
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("create instance %q: %w", in.Name, err))
		return
	}
	live, err := spec(row, attrs)
	if err == nil {
		live.Params = raw
		err = h.opts.Gateway.Mount(ctx, live)
	}
	if err != nil {
		// It opened during validation, so this is rare: undo the row
		// rather than keep an instance nobody can reach.
		if derr := h.deleteRow(ctx, row.Name); derr != nil {
			h.log.Error("admin: undoing a create", "instance", row.Name, "error", derr)
		}
		h.fail(w, r, fmt.Errorf("mount instance %q: %w", in.Name, err))
		return
	}
	h.opts.Syncer.applied(row, attrs)
	h.log.Info("admin: instance created", "instance", row.Name, "type", row.Type)
	v := h.storedView(row, attrs)
	v.Token = token
	w.Header().Set("Location", Prefix+"/instances/"+row.Name)
	writeJSON(w, http.StatusCreated, v)
}

func (h *Handler) replaceInstance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	if _, ok := h.config[name]; ok {
		h.fail(w, r, readOnly(name, ""))
		return
	}
	var in instanceInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.opts.Syncer.lock()()
	old, oldAttrs, err := h.load(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Name != "" && in.Name != name {
		h.fail(w, r, badRequest("invalid_value", "name", "name %q differs from the URL's %q: instances cannot be renamed", in.Name, name))
		return
	}
	if in.Type != "" && in.Type != old.Type {
		h.fail(w, r, badRequest("invalid_value", "type", "type %q differs from the instance's %q: delete the instance and create it again", in.Type, old.Type))
		return
	}
	typ, ok := h.opts.Registry[old.Type]
	if !ok {
		h.fail(w, r, &apiError{http.StatusConflict, "unknown_type", fmt.Sprintf("instance %q has connector type %q, which this build does not have", name, old.Type), "type"})
		return
	}
	params, err := parseParams(in.Parameters)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A secret sent back masked keeps its stored value, decrypted here
	// to validate and sealed again below (under the current key).
	stored, err := storedParams(old.Config)
	if err != nil {
		h.fail(w, r, fmt.Errorf("replace instance %q: %w", name, err))
		return
	}
	for _, p := range typ.Params {
		if p.Secret && isMask(params[p.Name]) {
			if v, ok := stored[p.Name]; ok {
				plain, err := openValue(h.opts.Secrets, name, p.Name, v)
				if err != nil {
					h.fail(w, r, fmt.Errorf("replace instance %q: %w", name, err))
					return
				}
				params[p.Name] = plain
			}
		}
	}
	auth, err := h.prepareAuth(in.Auth, oldAttrs.Auth)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	attrs := attributes{CustomAttributes: in.CustomAttributes, DisabledAttributes: in.DisabledAttributes, Auth: auth}
	raw, err := h.validate(ctx, name, typ, old.Version, params, attrs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sealed, err := sealParams(h.opts.Secrets, name, typ, params)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	row := *old
	row.Config = sealed
	row.Modified = time.Now().UTC()
	if err := h.putRow(ctx, &row, &attrs, old.Modified); err != nil {
		h.fail(w, r, fmt.Errorf("replace instance %q: %w", name, err))
		return
	}
	live, err := spec(&row, attrs)
	if err == nil {
		live.Params = raw
		err = h.opts.Gateway.Mount(ctx, live)
	}
	if err != nil {
		if rerr := h.putRow(ctx, old, &oldAttrs, row.Modified); rerr != nil {
			h.log.Error("admin: undoing a replace", "instance", name, "error", rerr)
		}
		h.fail(w, r, fmt.Errorf("mount instance %q: %w", name, err))
		return
	}
	h.opts.Syncer.applied(&row, attrs)
	h.log.Info("admin: instance replaced", "instance", name, "type", row.Type)
	writeJSON(w, http.StatusOK, h.storedView(&row, attrs))
}

func (h *Handler) deleteInstance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	if _, ok := h.config[name]; ok {
		h.fail(w, r, readOnly(name, ""))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.opts.Syncer.lock()()
	row, attrs, err := h.load(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Stop serving first, so that no new request writes data the delete
	// would miss.
	wasMounted := h.opts.Gateway.Unmount(name)
	if err := h.deleteRow(ctx, name); err != nil {
		if wasMounted {
			if merr := h.mount(ctx, row, attrs); merr != nil {
				h.log.Error("admin: remounting after a failed delete", "instance", name, "error", merr)
			}
		}
		h.fail(w, r, fmt.Errorf("delete instance %q: %w", name, err))
		return
	}
	h.opts.Syncer.removed(name)
	h.log.Info("admin: instance deleted", "instance", name, "type", row.Type)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) rotateToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	if _, ok := h.config[name]; ok {
		h.fail(w, r, &apiError{http.StatusConflict, "read_only", fmt.Sprintf("instance %q is defined in the configuration file: its token is set there", name), ""})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.opts.Syncer.lock()()
	row, attrs, err := h.load(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	token, err := gateway.NewToken()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	updated := *row
	updated.TokenHash = gateway.HashToken(token)
	updated.Modified = time.Now().UTC()
	if err := h.putRow(ctx, &updated, nil, row.Modified); err != nil {
		h.fail(w, r, fmt.Errorf("rotate token of %q: %w", name, err))
		return
	}
	// The stored hash changed first: the old token stops working when
	// the live instance's hash is swapped, before the answer is written.
	if h.opts.Gateway.Mounted(name) {
		err = h.opts.Gateway.SetTokenHash(name, updated.TokenHash)
	} else {
		err = h.mount(ctx, &updated, attrs)
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("apply the new token of %q: %w", name, err))
		return
	}
	h.opts.Syncer.applied(&updated, attrs)
	h.log.Info("admin: instance token rotated", "instance", name)
	v := h.storedView(&updated, attrs)
	v.Token = token
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) testInstance(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	s, ok := h.config[name]
	if !ok {
		row, attrs, err := h.load(ctx, name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if s, err = mountSpec(h.opts, row, attrs); err != nil {
			writeJSON(w, http.StatusOK, testResult{Message: "the instance does not open: " + err.Error()})
			return
		}
	}
	typ, ok := h.opts.Registry[s.Type]
	if !ok {
		writeJSON(w, http.StatusOK, testResult{Message: fmt.Sprintf("unknown connector type %q", s.Type)})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	conn, err := typ.Open(ctx, h.env(name, s.Version, attributes{CustomAttributes: s.CustomAttributes, DisabledAttributes: s.DisabledAttributes}), s.Params)
	if err != nil {
		writeJSON(w, http.StatusOK, testResult{Message: "the instance does not open: " + err.Error()})
		return
	}
	defer conn.Close()
	tester, ok := conn.(Tester)
	if ok {
		err = tester.TestConnection(ctx)
	}
	if !ok || errors.Is(err, connector.ErrNoConnectionTest) {
		msg := "the instance opens; connector type " + s.Type + " has no connection test"
		if typ.Simulator == nil && len(typ.Params) == 0 {
			msg = "the instance opens; connector type " + s.Type + " has no target to call"
		}
		writeJSON(w, http.StatusOK, testResult{OK: true, Message: msg})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, testResult{TargetChecked: true, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, testResult{OK: true, TargetChecked: true, Message: "the target accepted an authenticated call"})
}

// MountStored mounts every instance of opts.Store on opts.Gateway, except
// those opts.Config names (the configuration file wins; a warning is
// logged). An instance that fails to open is logged and skipped, so that
// one bad instance does not keep the others, or the admin API that can
// fix it, from starting. It returns the names mounted. opts.TokenHash is
// not needed: serve calls it whether the admin API is enabled or not.
func MountStored(ctx context.Context, opts Options) ([]string, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	configured := map[string]bool{}
	for _, s := range opts.Config {
		configured[s.Name] = true
	}
	type stored struct {
		row   *store.Instance
		attrs attributes
	}
	var all []stored
	err := opts.Store.View(ctx, func(tx store.Tx) error {
		rows, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			attrs, err := loadAttributes(ctx, tx, row.Name)
			if err != nil {
				return err
			}
			all = append(all, stored{row, attrs})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("admin: list stored instances: %w", err)
	}
	var mounted []string
	for _, s := range all {
		if configured[s.row.Name] {
			log.Warn("stored instance not mounted: the configuration file defines an instance of the same name", "instance", s.row.Name)
			continue
		}
		ms, err := mountSpec(opts, s.row, s.attrs)
		if err == nil {
			err = opts.Gateway.Mount(ctx, ms)
		}
		if err != nil {
			log.Error("stored instance not mounted", "instance", s.row.Name, "error", err)
			continue
		}
		mounted = append(mounted, s.row.Name)
	}
	return mounted, nil
}

// validate checks parameters against the type's declarations, then opens
// the connector (and closes it) so that the connector's own checks run
// before anything is stored. It returns the parameters as stored.
func (h *Handler) validate(ctx context.Context, name string, typ connector.Type, version string, params map[string]json.RawMessage, attrs attributes) ([]byte, error) {
	if k, ok := connector.UnknownParam(typ, params); ok {
		if len(typ.Params) == 0 {
			return nil, badRequest("unknown_parameter", "parameters."+k, "unknown parameter %q: connector type %s takes no parameters", k, typ.Name)
		}
		return nil, badRequest("unknown_parameter", "parameters."+k, "unknown parameter %q for connector type %s", k, typ.Name)
	}
	for _, p := range typ.Params {
		if p.Secret && isMask(params[p.Name]) {
			return nil, badRequest("invalid_value", "parameters."+p.Name, "%q is the mask of a set secret, not a value: send the secret itself", secretMask)
		}
	}
	for _, p := range typ.Params {
		if p.Required && isEmpty(params[p.Name]) {
			return nil, badRequest("missing_parameter", "parameters."+p.Name, "parameter %q is required by connector type %s", p.Name, typ.Name)
		}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	err = h.tryOpen(ctx, name, typ, version, raw, attrs)
	if err == nil {
		return raw, nil
	}
	// Name the field: if the instance opens without its attribute
	// settings, they are at fault, otherwise the parameters are.
	field := "parameters"
	if attrs.CustomAttributes != "" || len(attrs.DisabledAttributes) > 0 {
		if h.tryOpen(ctx, name, typ, version, raw, attributes{}) == nil {
			field = "custom_attributes"
			if attrs.CustomAttributes == "" {
				field = "disabled_attributes"
			}
		}
	}
	return nil, badRequest("invalid_"+field, field, "connector type %s refuses the instance: %v", typ.Name, err)
}

func (h *Handler) tryOpen(ctx context.Context, name string, typ connector.Type, version string, raw []byte, attrs attributes) error {
	conn, err := typ.Open(ctx, h.env(name, version, attrs), raw)
	if err != nil {
		return err
	}
	return conn.Close()
}

// env is what a connector opened by the admin API (to validate or test)
// gets: no metrics observer, since it serves no requests.
func (h *Handler) env(name, version string, attrs attributes) connector.Env {
	return connector.Env{
		Instance: name, Store: h.opts.Store, Logger: h.log.With("instance", name),
		CustomAttributes: attrs.CustomAttributes, DisabledAttributes: attrs.DisabledAttributes, Version: version,
	}
}

// load reads a stored instance and its attribute settings; 404 when absent.
func (h *Handler) load(ctx context.Context, name string) (*store.Instance, attributes, error) {
	var row *store.Instance
	var attrs attributes
	err := h.opts.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if row, err = tx.GetInstance(ctx, name); err != nil {
			return err
		}
		attrs, err = loadAttributes(ctx, tx, name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, attributes{}, &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("no instance named %q", name), ""}
	}
	if err != nil {
		return nil, attributes{}, fmt.Errorf("read instance %q: %w", name, err)
	}
	return row, attrs, nil
}

// putRow writes row, and attrs unless nil, provided the stored instance
// is still the one read (its Modified is read): another replica may have
// changed or deleted it since, and its change must not be lost silently.
func (h *Handler) putRow(ctx context.Context, row *store.Instance, attrs *attributes, read time.Time) error {
	return h.opts.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.GetInstance(ctx, row.Name)
		if errors.Is(err, store.ErrNotFound) {
			return &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("instance %q was deleted by another request", row.Name), ""}
		}
		if err != nil {
			return err
		}
		if !cur.Modified.Equal(read) {
			return &apiError{http.StatusConflict, "conflict", fmt.Sprintf("instance %q was changed by another request since this one read it: read it again and retry", row.Name), ""}
		}
		if err := tx.UpdateInstance(ctx, row); err != nil {
			return err
		}
		if attrs == nil {
			return nil
		}
		return putAttributes(ctx, tx, row.Name, *attrs)
	})
}

// deleteRow deletes an instance with its data and clears its attribute
// settings (the store cannot delete a setting; an empty one means none).
func (h *Handler) deleteRow(ctx context.Context, name string) error {
	return h.opts.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteInstance(ctx, name); err != nil {
			return err
		}
		return putAttributes(ctx, tx, name, attributes{})
	})
}

func loadAttributes(ctx context.Context, tx store.Tx, name string) (attributes, error) {
	var a attributes
	data, err := tx.GetSetting(ctx, attributesKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return a, nil // created before the admin API, e.g. by demo
	}
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("attribute settings of %q: %w", name, err)
	}
	return a, nil
}

func putAttributes(ctx context.Context, tx store.Tx, name string, a attributes) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.PutSetting(ctx, attributesKey(name), data)
}

// mount mounts a stored instance, its secrets decrypted.
func (h *Handler) mount(ctx context.Context, row *store.Instance, attrs attributes) error {
	s, err := mountSpec(h.opts, row, attrs)
	if err != nil {
		return err
	}
	return h.opts.Gateway.Mount(ctx, s)
}

// spec turns a stored instance into what the gateway mounts, its
// parameters as stored (secrets still sealed): see mountSpec.
func spec(row *store.Instance, attrs attributes) (gateway.InstanceSpec, error) {
	s := gateway.InstanceSpec{
		Name: row.Name, Type: row.Type, Params: row.Config, TokenHash: row.TokenHash,
		CustomAttributes: attrs.CustomAttributes, DisabledAttributes: attrs.DisabledAttributes,
		Version: row.Version,
	}
	if err := attrs.Auth.apply(&s); err != nil {
		return gateway.InstanceSpec{}, fmt.Errorf("instance %q: %w", row.Name, err)
	}
	return s, nil
}

func (h *Handler) storedView(row *store.Instance, attrs attributes) instanceView {
	created, modified := row.Created.UTC(), row.Modified.UTC()
	v := h.view(row.Name, row.Type, row.Version, row.Config, attrs)
	v.Source = "api"
	v.Created, v.Modified = &created, &modified
	return v
}

func (h *Handler) configView(s gateway.InstanceSpec) instanceView {
	v := h.view(s.Name, s.Type, s.Version, s.Params, attributes{CustomAttributes: s.CustomAttributes, DisabledAttributes: s.DisabledAttributes})
	v.Auth = specAuth(s)
	v.Source = "config"
	v.ReadOnly = true
	return v
}

func (h *Handler) view(name, typName, version string, params []byte, attrs attributes) instanceView {
	typ := h.opts.Registry[typName]
	if version == "" {
		version = typ.Version
	}
	v := instanceView{
		Name: name, Type: typName, Version: version,
		Mounted:            h.opts.Gateway.Mounted(name),
		SCIMBaseURL:        h.opts.Gateway.BaseURL(name),
		Parameters:         maskSecrets(typ, params),
		CustomAttributes:   attrs.CustomAttributes,
		DisabledAttributes: attrs.DisabledAttributes,
		Auth:               attrs.Auth.masked(),
	}
	if v.DisabledAttributes == nil {
		v.DisabledAttributes = []string{}
	}
	return v
}

// maskSecrets returns the parameters with every set secret replaced by
// the mask and unset secrets left out. Unreadable parameters show as
// none rather than risk showing a secret. A name matches a secret in any
// case: connectors decode parameters as encoding/json does, so a
// configuration file's "Token" is the connector's "token".
func maskSecrets(typ connector.Type, params []byte) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(params)) == 0 {
		return out
	}
	if err := json.Unmarshal(params, &out); err != nil || out == nil {
		return map[string]json.RawMessage{}
	}
	mask, _ := json.Marshal(secretMask)
	for name, v := range out {
		if !isSecretParam(typ, name) {
			continue
		}
		if isEmpty(v) {
			delete(out, name)
		} else {
			out[name] = mask
		}
	}
	return out
}

// isSecretParam reports whether name is, in any case, a secret parameter
// of typ.
func isSecretParam(typ connector.Type, name string) bool {
	for _, p := range typ.Params {
		if p.Secret && strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

// parseParams reads the parameters of a request: a JSON object or absent.
func parseParams(raw json.RawMessage) (map[string]json.RawMessage, error) {
	params := map[string]json.RawMessage{}
	if isEmpty(raw) {
		return params, nil
	}
	if err := json.Unmarshal(raw, &params); err != nil || params == nil {
		return nil, badRequest("invalid_value", "parameters", "parameters must be a JSON object of parameter names to values")
	}
	return params, nil
}

func isEmpty(v json.RawMessage) bool {
	s := string(bytes.TrimSpace(v))
	return s == "" || s == "null" || s == `""`
}

func isMask(v json.RawMessage) bool {
	var s string
	return json.Unmarshal(v, &s) == nil && s == secretMask
}

func readOnly(name, field string) *apiError {
	return &apiError{http.StatusConflict, "read_only", fmt.Sprintf("instance %q is defined in the configuration file and is read-only through the admin API: change it there", name), field}
}
