// Package filter parses and evaluates SCIM filters (RFC 7644 §3.4.2.2), sorts
// resources (RFC 7644 §3.4.2.3) and parses the attribute paths used by PATCH
// (RFC 7644 §3.5.2).
//
// # Use
//
//	e, err := filter.Parse(`emails[type eq "work" and value co "@example.com"]`)
//	// err is a *scim.Error (400 invalidFilter) with the 1-based position.
//	err = filter.Check(e, rt)      // attribute names and operator/type fit
//	ok := filter.Match(e, res, rt) // in-memory evaluation
//
// A connector that can query its target translates the AST (Compare, And,
// Or, Not, ValuePath) into the target's query language and may fall back to
// Match for what it cannot translate. For evaluating one filter against many
// resources, Compile resolves every path once and returns a Matcher that
// does not allocate.
//
// # Why our own parser
//
// The grammar is small, but what a SCIM service provider needs from a parser
// is specific, and no general-purpose parser gives all of it:
//   - errors a client can act on: every error is a *scim.Error with status
//     400, scimType invalidFilter (invalidPath for PATCH paths) and the
//     1-based character position of what was wrong and what was expected;
//   - leniency for real clients where it is unambiguous: Microsoft Entra ID
//     sends unquoted values (`externalId eq jyoung`), which parse as strings,
//     and names a matching attribute as in its mappings
//     (`emails[type eq "work"].value eq "x"`), which parses as
//     `emails[type eq "work" and value eq "x"]`;
//     keywords, operators and literals are case-insensitive, whitespace is
//     free;
//   - an AST that keeps the client's spelling of paths (resolved later
//     against the schema) and number literals exactly (json.Number), because
//     connectors translate it into other query languages;
//   - strict limits on length, nesting and node count (Limits) so that a
//     filter cannot exhaust the server; the parser recurses only for
//     nesting, which the depth limit bounds.
//
// # Grammar
//
// The accepted language is the ABNF of RFC 7644 §3.4.2.2 (kept in
// grammar.abnf beside this file), with the precedence the RFC's text gives:
// "not" binds tightest, then "and", then "or"; both are left-associative;
// parentheses group.
//
//	FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//	valuePath = attrPath "[" valFilter "]"
//	valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
//	attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//	logExp    = FILTER SP ("and" / "or") SP FILTER
//	compValue = false / null / true / number / string
//	compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//	attrPath  = [URI ":"] ATTRNAME *1subAttr
//	ATTRNAME  = ALPHA *(nameChar)
//	nameChar  = "-" / "_" / DIGIT / ALPHA
//	subAttr   = "." ATTRNAME
//
//	PATH      = attrPath / valuePath [subAttr]          ; RFC 7644 §3.5.2
//
// Beyond the ABNF: "$ref" is an attribute name (RFC 7643 §2.4); the URN of a
// path is everything up to the last colon (URNs contain dots, as in "2.0");
// any run of whitespace stands for SP and may be omitted where the next
// token is unambiguous; a value that is neither a JSON string, number,
// true, false nor null is taken as an unquoted string. Inside brackets the
// paths name sub-attributes of the value path's attribute, so they carry
// neither URN nor sub-attribute, and value paths do not nest. A value path
// followed by "." and a sub-attribute takes a comparison of that
// sub-attribute, which joins the bracketed filter with "and" (Microsoft
// Entra ID's `emails[type eq "work"].value eq "x"`).
//
// # Rendering
//
// Every node's String renders canonical filter syntax (lowercase keywords,
// JSON-quoted strings, parentheses only where the tree needs them), and
// parsing it yields an equal AST. The rendering may be longer than the
// client's input (bare words gain quotes, control characters become \u
// escapes), so re-parse it with a MaxLength that fits it.
//
// # Evaluation
//
// Match follows RFC 7644 §3.4.2.2: caseExact is honoured, a multi-valued
// attribute matches when any value does, a complex multi-valued attribute
// compared without a sub-attribute compares its "value" sub-attribute,
// "pr" means present and neither null, "", [] nor {}, and "ne" (like
// "not (eq)") is true for a missing attribute. See Match for the details.
package filter
