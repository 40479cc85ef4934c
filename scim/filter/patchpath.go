package filter

import (
	"strings"

	"github.com/scimconnect/scimconnect/scim"
)

// wellKnownSchemas are the schema URNs a PATCH path may name on their own.
var wellKnownSchemas = []string{scim.UserSchema, scim.GroupSchema, scim.EnterpriseUserSchema}

// ParsePatchPath parses the "path" of a PATCH operation (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// such as `members`, `name.givenName`, `emails[type eq "work"].value` or
// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
// A bare schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`)
// yields Path.URN set and Path.Attr empty; see isBareSchemaURN for how it is
// told apart from a URN-qualified attribute without the resource type.
//
// Every error is a *scim.Error with status 400 and scimType invalidPath whose
// detail gives the 1-based character position.
func ParsePatchPath(s string) (*PatchPath, error) {
	return parsePatchPath(s, DefaultLimits)
}

func parsePatchPath(s string, lim Limits) (*PatchPath, error) {
	p := newParser(s, lim, modePath)
	if err := p.checkLength(); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.atEnd() {
		return nil, p.errorf(p.pos, "the path is empty")
	}
	start := p.pos
	end := start
	for end < len(s) && isPathChar(s[end]) {
		end++
	}
	if tok := s[start:end]; isBareSchemaURN(tok) {
		p.pos = end
		p.skipSpace()
		if p.atEnd() {
			return &PatchPath{Path: AttrPath{URN: tok}}, nil
		}
		p.pos = start
	}
	path, err := p.parseAttrPath(false)
	if err != nil {
		return nil, err
	}
	out := &PatchPath{Path: path}
	p.skipSpace()
	if !p.atEnd() && s[p.pos] == '[' {
		vp, err := p.parseValuePath(path, start, false)
		if err != nil {
			return nil, err
		}
		out.Filter = vp.(*ValuePath).Filter
		if !p.atEnd() && s[p.pos] == '.' {
			p.pos++
			subStart := p.pos
			for p.pos < len(s) && isPathChar(s[p.pos]) {
				p.pos++
			}
			sub := s[subStart:p.pos]
			if sub == "" {
				return nil, p.expected(`a sub-attribute name after "]."`)
			}
			if !isAttrName(sub) {
				return nil, p.errorf(subStart, "expected a sub-attribute name after \"].\", found %q", sub)
			}
			out.FilterSub = sub
		}
	}
	p.skipSpace()
	if !p.atEnd() {
		if out.Filter == nil {
			return nil, p.expected(`"[" or the end of the path`)
		}
		return nil, p.expected(`"." or the end of the path`)
	}
	return out, nil
}

// isBareSchemaURN reports whether a PATCH path token names a whole schema
// rather than an attribute in it. Syntax alone cannot tell
// "urn:...:enterprise:2.0:User" (a schema) from "urn:...:2.0" + "User" (an
// attribute), so this uses the convention of every SCIM schema URN, core and
// extension alike: they end in ":<version>:<Name>". A path whose URN part
// ends in a version ("2.0", "1") therefore names a schema; so do the core
// URNs of RFC 7643. A custom schema URN without a version is parsed as URN
// plus attribute: callers that hold the resource type should re-check with
// schema.ResourceType.SchemaByURN(path.String()).
func isBareSchemaURN(tok string) bool {
	for _, id := range wellKnownSchemas {
		if strings.EqualFold(tok, id) {
			return true
		}
	}
	if len(tok) < 4 || !strings.EqualFold(tok[:4], "urn:") || strings.Contains(tok, "::") {
		return false
	}
	i := strings.LastIndexByte(tok, ':')
	name := tok[i+1:]
	if !isAttrName(name) {
		return false
	}
	j := strings.LastIndexByte(tok[:i], ':')
	if j < 3 {
		return false
	}
	return isVersion(tok[j+1 : i])
}

// isVersion reports whether s looks like "2.0" or "1": digits separated by
// single dots.
func isVersion(s string) bool {
	if s == "" || !isDigit(s[0]) || !isDigit(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] != '.' || s[i-1] == '.') {
			return false
		}
	}
	return true
}
