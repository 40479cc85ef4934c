package patch

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"

	"github.com/scimconnect/scimconnect/scim/schema"
)

// cloneValue deep-copies a JSON-shaped value. Maps and slices are copied;
// scalars are immutable and shared. Slices of other element types (built by
// Go code rather than encoding/json) become []any.
func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return cloneMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneValue(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneMap(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

// asSlice returns v as a fresh []any: an array's elements, a single value
// wrapped, or nil for nil.
func asSlice(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return append([]any(nil), t...)
	case []map[string]any, []string:
		return cloneValue(t).([]any)
	default:
		return []any{v}
	}
}

// lookup finds key in m, exactly first and then case-insensitively, so that a
// resource stored with non-canonical names is still found.
func lookup(m map[string]any, name string) (key string, val any, ok bool) {
	if m == nil {
		return "", nil, false
	}
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// setKey stores v under the canonical name, dropping differently-cased keys.
func setKey(m map[string]any, name string, v any) {
	deleteKey(m, name)
	m[name] = v
}

// deleteKey removes name from m, in any case.
func deleteKey(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// isEmpty reports whether v counts as "no value" (RFC 7643 §2.5: null, an
// empty array or an empty complex value are unassigned).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	case []map[string]any:
		return len(t) == 0
	case []string:
		return len(t) == 0
	}
	return false
}

// sameValue compares two values of attribute a: strings by a's caseExact,
// numbers numerically whatever their Go type, complex values sub-attribute
// by sub-attribute, multi-valued ones element by element in order.
func sameValue(a *schema.Attribute, x, y any) bool {
	if a != nil && a.MultiValued {
		xs, ys := asSlice(x), asSlice(y)
		if len(xs) != len(ys) {
			return false
		}
		single := *a
		single.MultiValued = false
		for i := range xs {
			if !sameValue(&single, xs[i], ys[i]) {
				return false
			}
		}
		return true
	}
	xm, xok := x.(map[string]any)
	ym, yok := y.(map[string]any)
	if xok || yok {
		if !xok || !yok || len(xm) != len(ym) {
			return false
		}
		for k, xv := range xm {
			_, yv, ok := lookup(ym, k)
			if !ok || !sameValue(a.Sub(k), xv, yv) {
				return false
			}
		}
		return true
	}
	return sameScalar(a, x, y)
}

// contains reports whether every sub-attribute stated in part equals the
// same sub-attribute of whole: used to skip adding a value already present.
func contains(a *schema.Attribute, whole, part any) bool {
	pm, pok := part.(map[string]any)
	wm, wok := whole.(map[string]any)
	if !pok || !wok {
		return sameScalar(a, whole, part)
	}
	for k, pv := range pm {
		_, wv, ok := lookup(wm, k)
		if !ok || !sameValue(a.Sub(k), wv, pv) {
			return false
		}
	}
	return true
}

func sameScalar(a *schema.Attribute, x, y any) bool {
	switch xv := x.(type) {
	case string:
		yv, ok := y.(string)
		if !ok {
			return false
		}
		if a != nil && a.CaseExact {
			return xv == yv
		}
		return strings.EqualFold(xv, yv)
	case bool:
		yv, ok := y.(bool)
		return ok && xv == yv
	case nil:
		return y == nil
	}
	xn, xok := number(x)
	yn, yok := number(y)
	if xok && yok {
		return xn.Cmp(yn) == 0
	}
	return false
}

// number converts the numeric shapes a resource may hold to a big.Float.
func number(v any) (*big.Float, bool) {
	f := new(big.Float)
	switch t := v.(type) {
	case json.Number:
		if _, ok := f.SetString(string(t)); !ok {
			return nil, false
		}
		return f, true
	case float64:
		if math.IsNaN(t) {
			return nil, false
		}
		return f.SetFloat64(t), true
	case float32:
		if math.IsNaN(float64(t)) {
			return nil, false
		}
		return f.SetFloat64(float64(t)), true
	case int:
		return f.SetInt64(int64(t)), true
	case int64:
		return f.SetInt64(t), true
	case int32:
		return f.SetInt64(int64(t)), true
	}
	return nil, false
}
