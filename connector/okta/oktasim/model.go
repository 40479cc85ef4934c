package oktasim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User statuses (spec components/schemas/UserStatus).
const (
	StatusActive          = "ACTIVE"
	StatusDeprovisioned   = "DEPROVISIONED"
	StatusLockedOut       = "LOCKED_OUT"
	StatusPasswordExpired = "PASSWORD_EXPIRED"
	StatusProvisioned     = "PROVISIONED"
	StatusRecovery        = "RECOVERY"
	StatusStaged          = "STAGED"
	StatusSuspended       = "SUSPENDED"
)

// Group types (spec components/schemas/GroupType).
const (
	GroupTypeOkta    = "OKTA_GROUP"
	GroupTypeApp     = "APP_GROUP"
	GroupTypeBuiltIn = "BUILT_IN"
)

// timeLayout is Okta's timestamp format: ISO-8601, milliseconds, Z (NOTES.md §3).
const timeLayout = "2006-01-02T15:04:05.000Z"

// base62 in ASCII order, so ids built from a fixed-width counter sort by
// creation; paging cursors rely on that order.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// userProfileAttributes is Okta's base user profile (spec UserProfile).
var userProfileAttributes = []string{
	"login", "email", "secondEmail", "firstName", "lastName", "middleName",
	"honorificPrefix", "honorificSuffix", "title", "displayName", "nickName",
	"profileUrl", "primaryPhone", "mobilePhone", "streetAddress", "city", "state",
	"zipCode", "countryCode", "postalAddress", "preferredLanguage", "locale",
	"timezone", "userType", "employeeNumber", "costCenter", "organization",
	"division", "department", "managerId", "manager",
}

// maxLengths holds the spec's maxLength constraints of the base profile.
var maxLengths = map[string]int{
	"login": 100, "email": 100, "secondEmail": 100, "firstName": 50, "lastName": 50,
	"city": 128, "state": 128, "countryCode": 2, "postalAddress": 4096,
	"streetAddress": 1024, "zipCode": 50, "mobilePhone": 100, "primaryPhone": 100,
}

// groupProfileAttributes is the OKTA_GROUP profile (spec OktaUserGroupProfile).
var groupProfileAttributes = []string{"name", "description"}

type user struct {
	id              string
	status          string
	created         time.Time
	activated       time.Time
	statusChanged   time.Time
	lastUpdated     time.Time
	passwordChanged time.Time
	profile         map[string]any
	password        string
	recoveryQ       string
	providerType    string
	providerName    string
	groups          map[string]struct{}
	transitioningTo string // target of an activation in progress (beginActivation); status is the old one
	version         uint64 // bumped on every change; feeds the ETag
	deleted         bool
}

type group struct {
	id                    string
	typ                   string
	objectClass           string
	created               time.Time
	lastUpdated           time.Time
	lastMembershipUpdated time.Time
	profile               map[string]any
	members               map[string]struct{}
	sortedMembers         []string // cache; nil when members changed
	deleted               bool
}

// sortedMemberIDs returns the member ids in id order, rebuilding the cache
// only after a membership change so paging a large group stays linear.
func (g *group) sortedMemberIDs() []string {
	if g.sortedMembers == nil {
		ids := make([]string, 0, len(g.members))
		for id := range g.members {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		g.sortedMembers = ids
	}
	return g.sortedMembers
}

// User is a snapshot of a simulated Okta user, for test assertions.
type User struct {
	ID              string
	Status          string
	Transitioning   string // status an activation in progress moves to (not shown yet); "" when none
	Created         time.Time
	Activated       time.Time // zero when never activated
	StatusChanged   time.Time
	LastUpdated     time.Time
	PasswordChanged time.Time // zero when no password was set
	Profile         map[string]any
	HasPassword     bool
	GroupIDs        []string // explicit memberships, sorted; Everyone is implicit
}

// Group is a snapshot of a simulated Okta group, for test assertions.
type Group struct {
	ID                    string
	Type                  string
	Created               time.Time
	LastUpdated           time.Time
	LastMembershipUpdated time.Time
	Profile               map[string]any
	MemberIDs             []string // sorted; empty for Everyone (implicit)
}

func (u *user) snapshot() User {
	gs := make([]string, 0, len(u.groups))
	for g := range u.groups {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	return User{ID: u.id, Status: u.status, Transitioning: u.transitioningTo, Created: u.created, Activated: u.activated,
		StatusChanged: u.statusChanged, LastUpdated: u.lastUpdated, PasswordChanged: u.passwordChanged,
		Profile: cloneProfile(u.profile), HasPassword: u.password != "", GroupIDs: gs}
}

func (g *group) snapshot() Group {
	return Group{ID: g.id, Type: g.typ, Created: g.created, LastUpdated: g.lastUpdated,
		LastMembershipUpdated: g.lastMembershipUpdated, Profile: cloneProfile(g.profile),
		MemberIDs: slices.Clone(g.sortedMemberIDs())}
}

func cloneProfile(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		if arr, ok := v.([]any); ok {
			v = slices.Clone(arr)
		}
		out[k] = v
	}
	return out
}

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// dateLiteralLayout is the only date form search and filter accept (NOTES.md
// §5 writes dates as "2013-06-01T00:00:00.000Z"; Okta answers others with
// E0000030 "Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g.
// 2013-01-01T12:00:00.000-07:00"). Go's ".000" takes exactly three digits
// and "Z07:00" a Z or a ±hh:mm offset, so RFC 3339 without milliseconds
// ("2013-06-01T00:00:00Z") is refused, as Okta refuses it.
const dateLiteralLayout = "2006-01-02T15:04:05.000Z07:00"

// parseTime parses a search or filter date literal.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[19] != '.' {
		return time.Time{}, false // Go's parser also takes a comma before the fraction
	}
	t, err := time.Parse(dateLiteralLayout, s)
	return t, err == nil
}

// newID builds a 20-character Okta-style id: 3-char prefix, 8-char counter,
// 6 random chars and a 3-char cell suffix.
func (s *Server) newID(prefix string) string {
	s.idCounter++
	n := s.idCounter
	var counter [8]byte
	for i := 7; i >= 0; i-- {
		counter[i] = base62[n%62]
		n /= 62
	}
	return prefix + string(counter[:]) + s.randomString(6) + "0g4"
}

func (s *Server) randomString(n int) string {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = base62[s.rng.IntN(62)]
	}
	return string(b)
}

// foldLogin gives the uniqueness key of a login: Okta treats logins that
// differ only in case or diacritical marks as equal (spec UserProfile.login).
func foldLogin(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if f, ok := diacritics[r]; ok {
			r = f
		}
		b.WriteRune(r)
	}
	return b.String()
}

var diacritics = func() map[rune]rune {
	m := map[rune]rune{}
	add := func(base rune, variants string) {
		for _, v := range variants {
			m[v] = base
		}
	}
	add('a', "àáâãäåāăą")
	add('c', "çćĉċč")
	add('e', "èéêëēĕėęě")
	add('i', "ìíîïĩīĭįı")
	add('n', "ñńņňŉ")
	add('o', "òóôõöøōŏő")
	add('u', "ùúûüũūŭůűų")
	add('y', "ýÿŷ")
	add('s', "śŝşš")
	add('z', "źżž")
	return m
}()

// shortName is the login's part before '@', used for login-shortname lookups.
func shortName(login string) string {
	if i := strings.IndexByte(login, '@'); i >= 0 {
		return foldLogin(login[:i])
	}
	return foldLogin(login)
}

// isEmail checks an address as the spec's UserProfile.email says ("For
// validation, see RFC 5322 Section 3.2.3"): the local part and the domain
// are dot-atoms, so quoted local parts, domain literals ("[1.2.3.4]"),
// empty or doubled dots and specials such as "," or "(" are refused.
// Non-ASCII characters count as atext (RFC 6532): the spec's own login
// example is "isáàc.bröck@example.com". The domain must also have a dot.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && isDotAtom(local) && isDotAtom(domain) && strings.Contains(domain, ".")
}

// isDotAtom reports whether s is an RFC 5322 dot-atom-text.
func isDotAtom(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for _, r := range part {
			if r < utf8.RuneSelf {
				if !isAtext(byte(r)) {
					return false
				}
			} else if !unicode.IsGraphic(r) || unicode.IsSpace(r) {
				return false
			}
		}
	}
	return true
}

// isAtext is RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~.
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// languageRanges matches RFC 7231 §5.3.5 Accept-Language, which the spec
// names for preferredLanguage ("For validation, see RFC 7231 Section
// 5.3.5"): language ranges (RFC 4647), each with an optional q weight,
// separated by commas.
var languageRanges = func() *regexp.Regexp {
	elem := `(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)(?:[ \t]*;[ \t]*[qQ]=(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?))?`
	return regexp.MustCompile(`^` + elem + `(?:[ \t]*,[ \t]*` + elem + `)*$`)
}()

// validateUserProfile applies the default Okta user schema to a complete
// profile and returns the error causes ("field: message").
func (s *Server) validateUserProfile(p map[string]any) []string {
	var causes []string
	for k, v := range p {
		if !s.userAttrs[k] {
			causes = append(causes, fmt.Sprintf("Property name '%s' is not defined in profile", k))
			continue
		}
		if v == nil || !s.baseUserAttrs[k] {
			continue
		}
		str, ok := v.(string)
		if !ok {
			causes = append(causes, k+": The field must be a string")
			continue
		}
		if max, ok := maxLengths[k]; ok && len([]rune(str)) > max {
			causes = append(causes, fmt.Sprintf("%s: The field cannot exceed %d characters", k, max))
		}
	}
	for _, k := range []string{"login", "email", "firstName", "lastName"} {
		v, present := p[k]
		str, isStr := v.(string)
		if !present || v == nil || (isStr && strings.TrimSpace(str) == "") {
			causes = append(causes, k+": The field cannot be left blank")
		}
	}
	if login, ok := p["login"].(string); ok && login != "" {
		if !isEmail(login) {
			causes = append(causes, "login: Username must be in the form of an email address")
		} else if len(login) < 5 {
			causes = append(causes, "login: The field must be at least 5 characters")
		}
	}
	for _, k := range []string{"email", "secondEmail"} {
		if v, ok := p[k].(string); ok && v != "" {
			if !isEmail(v) {
				causes = append(causes, k+": Does not match required pattern")
			} else if k == "email" && len(v) < 5 {
				causes = append(causes, "email: The field must be at least 5 characters")
			}
		}
	}
	if pl, ok := p["preferredLanguage"].(string); ok && pl != "" && !languageRanges.MatchString(pl) {
		causes = append(causes, "preferredLanguage: Does not match required pattern")
	}
	if cc, ok := p["countryCode"].(string); ok && cc != "" {
		if len(cc) != 2 || strings.ContainsFunc(cc, func(r rune) bool { return !unicode.IsLetter(r) }) {
			causes = append(causes, "countryCode: Does not match required pattern")
		}
	}
	sort.Strings(causes)
	return causes
}

// validateGroupProfile applies the OKTA_GROUP profile schema.
func (s *Server) validateGroupProfile(p map[string]any) []string {
	var causes []string
	for k, v := range p {
		if !s.groupAttrs[k] {
			causes = append(causes, fmt.Sprintf("Property name '%s' is not defined in profile", k))
			continue
		}
		if v == nil {
			continue
		}
		if (k == "name" || k == "description") && !isString(v) {
			causes = append(causes, k+": The field must be a string")
		}
	}
	if name, _ := p["name"].(string); strings.TrimSpace(name) == "" {
		causes = append(causes, "name: The field cannot be left blank")
	}
	sort.Strings(causes)
	return causes
}

func isString(v any) bool { _, ok := v.(string); return ok }

// passwordCauses applies Okta's default password policy: at least 8
// characters, a lowercase letter, an uppercase letter, a number and no part
// of the username.
func passwordCauses(pw string, profile map[string]any) []string {
	var lower, upper, digit bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	ok := len([]rune(pw)) >= 8 && lower && upper && digit
	if login, _ := profile["login"].(string); ok && login != "" {
		local := strings.ToLower(login)
		if i := strings.IndexByte(local, '@'); i >= 0 {
			local = local[:i]
		}
		for _, part := range strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(part) >= 3 && strings.Contains(strings.ToLower(pw), part) {
				ok = false
			}
		}
	}
	if ok {
		return nil
	}
	return []string{"password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username."}
}

type href struct {
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

type selfLinks struct {
	Self href `json:"self"`
}

type providerView struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type recoveryView struct {
	Question string `json:"question"`
}

type credentialsView struct {
	Password         *struct{}     `json:"password,omitempty"`
	RecoveryQuestion *recoveryView `json:"recovery_question,omitempty"`
	Provider         providerView  `json:"provider"`
}

type typeRef struct {
	ID string `json:"id"`
}

// userView is the wire form of a User, fields in Okta's order.
type userView struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Created         any             `json:"created"`
	Activated       any             `json:"activated"`
	StatusChanged   any             `json:"statusChanged"`
	LastLogin       any             `json:"lastLogin"`
	LastUpdated     any             `json:"lastUpdated"`
	PasswordChanged any             `json:"passwordChanged"`
	TransitioningTo string          `json:"transitioningToStatus,omitempty"` // only while transitioning (spec User)
	Type            typeRef         `json:"type"`
	Profile         map[string]any  `json:"profile"`
	Credentials     credentialsView `json:"credentials"`
	Links           any             `json:"_links"`
}

// userJSON renders u as Okta does. Collections carry only the self link
// (spec User._links description); single reads carry lifecycle links too.
// Rendering is the one look an activation in progress gets: it is shown
// with transitioningToStatus and then completes (beginActivation).
func (s *Server) userJSON(u *user, base string, single bool) userView {
	defer s.settle(u)
	return s.userView(u, base, single)
}

// userView renders u without completing its activation.
func (s *Server) userView(u *user, base string, single bool) userView {
	self := base + "/api/v1/users/" + u.id
	var links any = selfLinks{Self: href{Href: self}}
	if single {
		m := map[string]href{"self": {Href: self}}
		add := func(name, path string) { m[name] = href{Href: self + path, Method: "POST"} }
		switch u.status {
		case StatusStaged, StatusDeprovisioned:
			add("activate", "/lifecycle/activate")
		case StatusProvisioned:
			add("reactivate", "/lifecycle/reactivate")
		case StatusActive:
			add("suspend", "/lifecycle/suspend")
			add("resetPassword", "/lifecycle/reset_password")
			add("expirePassword", "/lifecycle/expire_password")
		case StatusSuspended:
			add("unsuspend", "/lifecycle/unsuspend")
		}
		if u.status != StatusDeprovisioned {
			add("deactivate", "/lifecycle/deactivate")
		}
		m["type"] = href{Href: base + "/api/v1/meta/types/user/" + s.userTypeID}
		m["schema"] = href{Href: base + "/api/v1/meta/schemas/user/osc" + s.userTypeID[3:]}
		links = m
	}
	v := userView{ID: u.id, Status: u.status, TransitioningTo: u.transitioningTo, Created: formatTime(u.created), Activated: formatTime(u.activated),
		StatusChanged: formatTime(u.statusChanged), LastUpdated: formatTime(u.lastUpdated),
		PasswordChanged: formatTime(u.passwordChanged), Type: typeRef{ID: s.userTypeID}, Profile: profileView(u.profile),
		Credentials: credentialsView{Provider: providerView{Type: u.providerType, Name: u.providerName}}, Links: links}
	if u.password != "" {
		v.Credentials.Password = &struct{}{}
	}
	if u.recoveryQ != "" {
		v.Credentials.RecoveryQuestion = &recoveryView{Question: u.recoveryQ}
	}
	return v
}

// alwaysShown are the base profile attributes Okta shows on every user,
// null when unset (spec examples ListUsersResponse, ListUsersSearchResponse:
// "mobilePhone: null", "secondEmail: null").
var alwaysShown = []string{"mobilePhone", "secondEmail"}

// profileView is a profile as Okta shows it: with alwaysShown attributes.
func profileView(p map[string]any) map[string]any {
	missing := 0
	for _, k := range alwaysShown {
		if _, ok := p[k]; !ok {
			missing++
		}
	}
	if missing == 0 {
		return p
	}
	out := make(map[string]any, len(p)+missing)
	for k, v := range p {
		out[k] = v
	}
	for _, k := range alwaysShown {
		if _, ok := p[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// groupJSON renders g as Okta does (spec components/examples/group-example).
func (s *Server) groupJSON(g *group, base string, stats bool) map[string]any {
	self := base + "/api/v1/groups/" + g.id
	logo := "okta"
	if g.typ == GroupTypeApp {
		logo = "application"
	}
	out := map[string]any{
		"id":                    g.id,
		"created":               formatTime(g.created),
		"lastUpdated":           formatTime(g.lastUpdated),
		"lastMembershipUpdated": formatTime(g.lastMembershipUpdated),
		"objectClass":           []string{g.objectClass},
		"type":                  g.typ,
		"profile":               g.profile,
		"_links": map[string]any{
			"logo": []any{
				map[string]any{"name": "medium", "href": base + "/img/logos/groups/" + logo + "-medium.png", "type": "image/png"},
				map[string]any{"name": "large", "href": base + "/img/logos/groups/" + logo + "-large.png", "type": "image/png"},
			},
			"users": map[string]any{"href": self + "/users"},
			"apps":  map[string]any{"href": self + "/apps"},
		},
	}
	if stats {
		n := 0
		if live := s.groups[g.id]; live != nil {
			n = len(live.members) // g may be a search index copy, without members
		}
		if g.typ == GroupTypeBuiltIn {
			n = s.liveUsers
		}
		out["_embedded"] = map[string]any{"stats": map[string]any{"usersCount": n, "appsCount": 0, "groupPushMappingsCount": 0, "hasAdminPrivilege": false}}
	}
	return out
}

// decodeProfile decodes a JSON object keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}
