package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimconnect/scimconnect/store"
)

// errTxDone is returned when a Tx is used after its fn returned.
var errTxDone = errors.New("sqlite: transaction already ended")

// boundStmts binds a pool's prepared statements to one sql.Tx, lazily, so
// a transaction pays for binding only the statements it uses.
type boundStmts struct {
	tx     *sql.Tx
	parent *statements
	bound  [numStmts]*sql.Stmt
}

func (b *boundStmts) get(id stmtID) *sql.Stmt {
	if s := b.bound[id]; s != nil {
		return s
	}
	s := b.tx.StmtContext(context.Background(), b.parent[id])
	b.bound[id] = s
	return s
}

// tx implements store.Tx. Driver calls get a background context (see
// runBatch); the caller's contexts are checked before each call and while
// reading rows.
type tx struct {
	ctx      context.Context // of the View or Update
	stmts    *boundStmts
	readOnly bool
	done     bool
}

var _ store.Tx = (*tx)(nil)

func newTx(ctx context.Context, sqlTx *sql.Tx, parent *statements, readOnly bool) *tx {
	return &tx{ctx: ctx, stmts: &boundStmts{tx: sqlTx, parent: parent}, readOnly: readOnly}
}

// begin checks that the Tx may run one more call.
func (t *tx) begin(ctx context.Context, write bool) error {
	if t.done {
		return errTxDone
	}
	if write && t.readOnly {
		return ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.ctx.Err()
}

var bg = context.Background()

func (t *tx) exec(id stmtID, args ...any) (sql.Result, error) {
	return t.stmts.get(id).ExecContext(bg, args...)
}

func (t *tx) query(id stmtID, args ...any) (*sql.Rows, error) {
	return t.stmts.get(id).QueryContext(bg, args...)
}

func (t *tx) queryRow(id stmtID, args ...any) *sql.Row {
	return t.stmts.get(id).QueryRowContext(bg, args...)
}

// Instances.

// GetInstance returns the named instance or store.ErrNotFound.
func (t *tx) GetInstance(ctx context.Context, name string) (*store.Instance, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	in, err := scanInstance(t.queryRow(stmtGetInstance, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: instance %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get instance %q: %w", name, err)
	}
	return in, nil
}

// ListInstances returns every instance ordered by name (bytewise).
func (t *tx) ListInstances(ctx context.Context) ([]*store.Instance, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	rows, err := t.query(stmtListInstances)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list instances: %w", err)
	}
	defer rows.Close()
	var out []*store.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list instances: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list instances: %w", err)
	}
	return out, nil
}

// CreateInstance inserts in; store.ErrConflict if the name exists.
func (t *tx) CreateInstance(ctx context.Context, in *store.Instance) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if in == nil || in.Name == "" {
		return errors.New("sqlite: create instance: empty name")
	}
	created, err := timeText(in.Created)
	if err != nil {
		return fmt.Errorf("sqlite: create instance %q: %w", in.Name, err)
	}
	modified, err := timeText(in.Modified)
	if err != nil {
		return fmt.Errorf("sqlite: create instance %q: %w", in.Name, err)
	}
	if _, err := t.exec(stmtCreateInstance, in.Name, in.Type, in.Version, blob(in.Config), blob(in.TokenHash), created, modified); err != nil {
		return writeErr(fmt.Sprintf("create instance %q", in.Name), "name exists", err)
	}
	return nil
}

// UpdateInstance overwrites everything but the name and Created, which it
// sets in in from the stored instance; store.ErrNotFound if missing.
func (t *tx) UpdateInstance(ctx context.Context, in *store.Instance) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if in == nil {
		return errors.New("sqlite: update instance: nil instance")
	}
	modified, err := timeText(in.Modified)
	if err != nil {
		return fmt.Errorf("sqlite: update instance %q: %w", in.Name, err)
	}
	var created string
	err = t.queryRow(stmtUpdateInstance, in.Type, in.Version, blob(in.Config), blob(in.TokenHash), modified, in.Name).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: update instance %q: %w", in.Name, store.ErrNotFound)
	}
	if err != nil {
		return writeErr(fmt.Sprintf("update instance %q", in.Name), "", err)
	}
	if in.Created, err = parseTime(created); err != nil {
		return fmt.Errorf("sqlite: update instance %q: %w", in.Name, err)
	}
	return nil
}

// DeleteInstance deletes the instance with its resources, their emails and
// the memberships of its directory; store.ErrNotFound if missing.
func (t *tx) DeleteInstance(ctx context.Context, name string) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	res, err := t.exec(stmtDeleteInstance, name)
	if err != nil {
		return fmt.Errorf("sqlite: delete instance %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delete instance %q: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: delete instance %q: %w", name, store.ErrNotFound)
	}
	// Memberships go before the resources, so the trigger that deletes a
	// deleted resource's memberships finds none to delete.
	for _, id := range []stmtID{stmtDeleteInstanceEmails, stmtDeleteInstanceMemberships, stmtDeleteInstanceResources, stmtDeleteInstanceCounts} {
		if _, err := t.exec(id, name); err != nil {
			return fmt.Errorf("sqlite: delete instance %q: %w", name, err)
		}
	}
	return nil
}

// GetSetting returns the value of key or store.ErrNotFound.
func (t *tx) GetSetting(ctx context.Context, key string) ([]byte, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	var v []byte
	err := t.queryRow(stmtGetSetting, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: setting %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get setting %q: %w", key, err)
	}
	return nilIfEmpty(v), nil
}

// PutSetting inserts or overwrites key.
func (t *tx) PutSetting(ctx context.Context, key string, value []byte) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if _, err := t.exec(stmtPutSetting, key, blob(value)); err != nil {
		return writeErr(fmt.Sprintf("put setting %q", key), "", err)
	}
	return nil
}

// Resources.

// GetResource returns one resource or store.ErrNotFound.
func (t *tx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	r, err := scanResource(t.queryRow(stmtGetResource, instance, id, typ), instance, typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s %q in %q: %w", typ, id, instance, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s %q in %q: %w", typ, id, instance, err)
	}
	return r, nil
}

// FindResources returns the resources whose key equals value, ordered by
// Seq. An empty value means "not set" and matches nothing.
func (t *tx) FindResources(ctx context.Context, instance, typ string, key store.Key, value string) ([]*store.Resource, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	var id stmtID
	switch key {
	case store.KeyUserName:
		id, value = stmtFindByUserName, fold(value)
	case store.KeyExternalID:
		id = stmtFindByExternalID
	case store.KeyDisplayName:
		id, value = stmtFindByDisplayName, fold(value)
		if typ == groupType {
			id = stmtFindGroupByDisplayName
		}
	case store.KeyEmail:
		id, value = stmtFindByEmail, fold(value)
	default:
		return nil, fmt.Errorf("sqlite: find resources: unknown key %d", key)
	}
	if value == "" {
		return nil, nil
	}
	return t.queryResources(ctx, "find resources", instance, typ, id, instance, typ, value)
}

// ListResources returns up to limit resources with Seq > afterSeq, ordered
// by Seq, by walking the (instance, type, seq) index: no OFFSET, so every
// page costs the same. limit <= 0 returns nothing.
func (t *tx) ListResources(ctx context.Context, instance, typ string, afterSeq int64, limit int) ([]*store.Resource, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	return t.queryResources(ctx, "list resources", instance, typ, stmtListResources, instance, typ, afterSeq, limit)
}

func (t *tx) queryResources(ctx context.Context, what, instance, typ string, id stmtID, args ...any) ([]*store.Resource, error) {
	rows, err := t.query(id, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s %s in %q: %w", what, typ, instance, err)
	}
	defer rows.Close()
	var out []*store.Resource
	for rows.Next() {
		if len(out)%256 == 255 {
			if err := t.begin(ctx, false); err != nil {
				return nil, err
			}
		}
		r, err := scanResource(rows, instance, typ)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s %s in %q: %w", what, typ, instance, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s %s in %q: %w", what, typ, instance, err)
	}
	return out, nil
}

// CountResources counts the resources of a type, from the counter the
// schema's triggers maintain.
func (t *tx) CountResources(ctx context.Context, instance, typ string) (int, error) {
	if err := t.begin(ctx, false); err != nil {
		return 0, err
	}
	var n int
	err := t.queryRow(stmtCountResources, instance, typ).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // never had a resource of this type
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s in %q: %w", typ, instance, err)
	}
	return n, nil
}

// CreateResource inserts r and sets r.Seq and r.Version = 1.
func (t *tx) CreateResource(ctx context.Context, r *store.Resource) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if r == nil || r.ID == "" {
		return errors.New("sqlite: create resource: empty id")
	}
	what := func() string { return fmt.Sprintf("create %s %q in %q", r.Type, r.ID, r.Instance) } // only errors need it
	created, err := timeText(r.Created)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	modified, err := timeText(r.Modified)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	emails, err := emailsText(r.Emails)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	res, err := t.exec(stmtInsertResource, r.Instance, r.Type, r.ID, created, modified, blob(r.Data),
		r.UserName, fold(r.UserName), r.ExternalID, r.DisplayName, fold(r.DisplayName), emails)
	if err != nil {
		return writeErr(what(), "id, userName or group name taken", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	if err := t.insertEmails(seq, r); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	r.Seq, r.Version = seq, 1
	return nil
}

func (t *tx) insertEmails(seq int64, r *store.Resource) error {
	for _, e := range r.Emails {
		if e = fold(e); e == "" {
			continue
		}
		if _, err := t.exec(stmtInsertEmail, seq, r.Instance, r.Type, e); err != nil {
			return fmt.Errorf("index email: %w", err)
		}
	}
	return nil
}

// PutResource replaces a resource's contents. It keeps the stored Seq and
// Created (meta.created never changes, RFC 7643 §3.1) and sets them in r,
// with r.Version incremented.
func (t *tx) PutResource(ctx context.Context, r *store.Resource, ifVersion int64) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if r == nil {
		return errors.New("sqlite: put resource: nil resource")
	}
	var (
		stored  store.Resource
		created string
		emails  string
	)
	err := t.queryRow(stmtLookupForPut, r.Instance, r.ID, r.Type).Scan(&stored.Seq, &stored.Version, &created, &emails, &stored.UserName, &stored.ExternalID, &stored.DisplayName)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	}
	if ifVersion > 0 && ifVersion != stored.Version {
		return fmt.Errorf("sqlite: %s: stored version %d, expected %d: %w", putWhat(r), stored.Version, ifVersion, store.ErrVersionMismatch)
	}
	if stored.Created, err = parseTime(created); err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	}
	return t.replace(r, &stored, emails)
}

// ReplaceResource is PutResource for a caller that holds the stored
// resource prev: the UPDATE itself checks the version, so nothing is read.
func (t *tx) ReplaceResource(ctx context.Context, r, prev *store.Resource) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if r == nil || prev == nil || prev.Version <= 0 {
		return errors.New("sqlite: replace resource: nil resource or no stored version")
	}
	if prev.Seq <= 0 { // a pre-image that does not know its row: look it up
		return t.PutResource(ctx, r, prev.Version)
	}
	emails, err := emailsText(prev.Emails)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	}
	return t.replace(r, prev, emails)
}

func putWhat(r *store.Resource) string {
	return fmt.Sprintf("put %s %q in %q", r.Type, r.ID, r.Instance)
}

// replace writes r over the stored resource, which is prev (its Seq,
// Version, Created and key columns; storedEmails as stored) unless the
// stored version moved on: then it writes nothing and answers
// store.ErrVersionMismatch.
func (t *tx) replace(r, prev *store.Resource, storedEmails string) error {
	modified, err := timeText(r.Modified)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	}
	emails, err := emailsText(r.Emails)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	}
	// Only the key columns that changed are set, so that the indexes of
	// the others are not rewritten.
	args := make([]any, 0, 16)
	args = append(args, prev.Version+1, modified, blob(r.Data), emails)
	mask := 0
	if r.UserName != prev.UserName {
		mask |= updateUserName
		args = append(args, r.UserName, fold(r.UserName))
	}
	if r.ExternalID != prev.ExternalID {
		mask |= updateExternalID
		args = append(args, r.ExternalID)
	}
	if r.DisplayName != prev.DisplayName {
		mask |= updateDisplayName
		key := fold(r.DisplayName)
		args = append(args, r.DisplayName, key, key, key)
	}
	res, err := t.exec(stmtUpdateResource+stmtID(mask), append(args, prev.Seq, prev.Version)...)
	if err != nil {
		return writeErr(putWhat(r), "userName or group name taken", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: %s: stored version is not %d: %w", putWhat(r), prev.Version, store.ErrVersionMismatch)
	}
	// Most replaces keep the emails; re-index only when they changed.
	if emails != storedEmails {
		if _, err := t.exec(stmtDeleteEmails, prev.Seq); err != nil {
			return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
		}
		if err := t.insertEmails(prev.Seq, r); err != nil {
			return fmt.Errorf("sqlite: %s: %w", putWhat(r), err)
		}
	}
	r.Seq, r.Version, r.Created = prev.Seq, prev.Version+1, prev.Created
	return nil
}

// TouchResources bumps the version and modification time of existing
// resources whose computed attributes changed.
func (t *tx) TouchResources(ctx context.Context, instance string, ids []string, modified time.Time) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	mod, err := timeText(modified)
	if err != nil {
		return fmt.Errorf("sqlite: touch resources in %q: %w", instance, err)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("sqlite: touch resources in %q: %w", instance, err)
	}
	if _, err := t.exec(stmtTouchResource, mod, instance, string(list)); err != nil {
		return fmt.Errorf("sqlite: touch %d resources in %q: %w", len(ids), instance, err)
	}
	return nil
}

// GroupsOfMany lists the direct groups of many members in one statement.
func (t *tx) GroupsOfMany(ctx context.Context, instance string, memberIDs []string) (map[string][]store.GroupRef, error) {
	out := map[string][]store.GroupRef{}
	err := t.queryIDs(ctx, stmtGroupsOfMany, instance, memberIDs, func(rows *sql.Rows) error {
		var member string
		var g store.GroupRef
		if err := rows.Scan(&member, &g.ID, &g.Display); err != nil {
			return err
		}
		out[member] = append(out[member], g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: groups of members in %q: %w", instance, err)
	}
	return out, nil
}

// TypesOf returns the type of each listed resource that exists.
func (t *tx) TypesOf(ctx context.Context, instance string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := t.queryIDs(ctx, stmtTypesOf, instance, ids, func(rows *sql.Rows) error {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			return err
		}
		out[id] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: types of resources in %q: %w", instance, err)
	}
	return out, nil
}

// queryIDs runs a read statement that takes an instance and a JSON array
// of ids (json_each), calling scan for each row. No ids, no statement.
func (t *tx) queryIDs(ctx context.Context, id stmtID, instance string, ids []string, scan func(*sql.Rows) error) error {
	if err := t.begin(ctx, false); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := t.query(id, instance, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DeleteResource deletes a resource, its email index and its memberships
// as a group and as a member, all in one statement (the foreign key
// cascades to the emails, migration 0003's trigger to the memberships);
// store.ErrNotFound if missing.
func (t *tx) DeleteResource(ctx context.Context, instance, typ, id string, ifVersion int64) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	what := func() string { return fmt.Sprintf("delete %s %q in %q", typ, id, instance) } // only errors need it
	res, err := t.exec(stmtDeleteResource, instance, id, typ, max(ifVersion, 0))
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what(), err)
	}
	if n > 0 {
		return nil
	}
	if ifVersion > 0 {
		// Missing, or another version: tell which.
		var version int64
		err := t.queryRow(stmtResourceVersion, instance, id, typ).Scan(&version)
		if err == nil {
			return fmt.Errorf("sqlite: %s: stored version %d, expected %d: %w", what(), version, ifVersion, store.ErrVersionMismatch)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %s: %w", what(), err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what(), store.ErrNotFound)
}

// Memberships.

// AddMembers adds the members not already in the group: one indexed
// insert per member, whatever the group's size.
func (t *tx) AddMembers(ctx context.Context, instance, groupID string, members []store.Member) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	pairs := make([][2]string, len(members))
	for i, m := range members {
		pairs[i] = [2]string{m.ID, m.Type}
	}
	list, err := json.Marshal(pairs)
	if err != nil {
		return fmt.Errorf("sqlite: add members to group %q in %q: %w", groupID, instance, err)
	}
	if _, err := t.exec(stmtAddMember, instance, groupID, string(list)); err != nil {
		return writeErr(fmt.Sprintf("add %d members to group %q in %q", len(members), groupID, instance), "", err)
	}
	return nil
}

// RemoveMembers removes the listed members: one indexed delete each.
func (t *tx) RemoveMembers(ctx context.Context, instance, groupID string, memberIDs []string) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if len(memberIDs) == 0 {
		return nil
	}
	list, err := json.Marshal(memberIDs)
	if err != nil {
		return fmt.Errorf("sqlite: remove members from group %q in %q: %w", groupID, instance, err)
	}
	if _, err := t.exec(stmtRemoveMember, instance, groupID, string(list)); err != nil {
		return fmt.Errorf("sqlite: remove %d members from group %q in %q: %w", len(memberIDs), groupID, instance, err)
	}
	return nil
}

// RemoveAllMembers empties a group.
func (t *tx) RemoveAllMembers(ctx context.Context, instance, groupID string) error {
	if err := t.begin(ctx, true); err != nil {
		return err
	}
	if _, err := t.exec(stmtDeleteGroupMemberships, instance, groupID); err != nil {
		return fmt.Errorf("sqlite: remove all members of group %q in %q: %w", groupID, instance, err)
	}
	return nil
}

// Members lists a group's members in the order they were added, each with
// the display of its resource (DisplayName, else UserName, else "").
func (t *tx) Members(ctx context.Context, instance, groupID string) ([]store.Member, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	rows, err := t.query(stmtMembers, instance, groupID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: members of group %q in %q: %w", groupID, instance, err)
	}
	defer rows.Close()
	var out []store.Member
	for rows.Next() {
		if len(out)%256 == 255 {
			if err := t.begin(ctx, false); err != nil {
				return nil, err
			}
		}
		var m store.Member
		if err := rows.Scan(&m.ID, &m.Type, &m.Display); err != nil {
			return nil, fmt.Errorf("sqlite: members of group %q in %q: %w", groupID, instance, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: members of group %q in %q: %w", groupID, instance, err)
	}
	return out, nil
}

// HasMember reports whether memberID is a direct member of groupID.
func (t *tx) HasMember(ctx context.Context, instance, groupID, memberID string) (bool, error) {
	if err := t.begin(ctx, false); err != nil {
		return false, err
	}
	var one int
	err := t.queryRow(stmtHasMember, instance, groupID, memberID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: has member %q in group %q in %q: %w", memberID, groupID, instance, err)
	}
	return true, nil
}

// GroupsOf lists the existing groups memberID is a direct member of,
// ordered by group Seq.
func (t *tx) GroupsOf(ctx context.Context, instance, memberID string) ([]store.GroupRef, error) {
	if err := t.begin(ctx, false); err != nil {
		return nil, err
	}
	rows, err := t.query(stmtGroupsOf, instance, memberID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: groups of %q in %q: %w", memberID, instance, err)
	}
	defer rows.Close()
	var out []store.GroupRef
	for rows.Next() {
		var g store.GroupRef
		if err := rows.Scan(&g.ID, &g.Display); err != nil {
			return nil, fmt.Errorf("sqlite: groups of %q in %q: %w", memberID, instance, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: groups of %q in %q: %w", memberID, instance, err)
	}
	return out, nil
}

// Encoding helpers.

// timeLayout is fixed-width so stored times sort as text; time.Parse with
// RFC 3339 reads it (fractional seconds are accepted after the seconds).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeText formats t in UTC, refusing years RFC 3339 cannot write.
func timeText(t time.Time) (string, error) {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("time %v out of range", t)
	}
	return formatTime(t), nil
}

func parseTime(s string) (time.Time, error) {
	if t, ok := parseStoredTime(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseStoredTime reads timeLayout without time.Parse's general
// machinery (every resource read parses two times); ok is false for any
// other shape, which parseTime then hands to time.Parse.
func parseStoredTime(s string) (t time.Time, ok bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[29] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				ok = false
				return 0
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	ok = true
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, nsec := num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if !ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // February 30th and the like: let time.Parse report it
		return time.Time{}, false
	}
	return t, true
}

// decodeStrings reads a JSON array of strings as emailsText writes it.
// Strings without escapes are read directly; anything else goes through
// encoding/json.
func decodeStrings(s string) ([]string, error) {
	if strings.IndexByte(s, '\\') < 0 && len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		var out []string
		rest := s[1 : len(s)-1]
		for ok := true; ok && rest != ""; {
			if rest[0] != '"' {
				ok = false
				break
			}
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				ok = false
				break
			}
			v := rest[1 : 1+end]
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 {
					ok = false
				}
			}
			out = append(out, v)
			rest = rest[end+2:]
			if rest != "" {
				if rest[0] != ',' || len(rest) == 1 {
					ok = false
					break
				}
				rest = rest[1:]
			}
			if !ok {
				break
			}
			if rest == "" {
				if !utf8.ValidString(s) {
					break // encoding/json replaces invalid bytes
				}
				return out, nil
			}
		}
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// fold is the case folding of the case-insensitive keys (RFC 7643 §2.1
// caseExact=false), done here so that SQL compares bytes on every backend.
func fold(s string) string { return strings.ToLower(s) }

// blob keeps nil out of NOT NULL columns.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func emailsText(emails []string) (string, error) {
	if len(emails) == 0 {
		return "", nil
	}
	b, err := json.Marshal(emails)
	if err != nil {
		return "", fmt.Errorf("encode emails: %w", err)
	}
	return string(b), nil
}

type scanner interface{ Scan(dest ...any) error }

func scanInstance(s scanner) (*store.Instance, error) {
	in := &store.Instance{}
	var created, modified string
	if err := s.Scan(&in.Name, &in.Type, &in.Version, &in.Config, &in.TokenHash, &created, &modified); err != nil {
		return nil, err
	}
	var err error
	if in.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if in.Modified, err = parseTime(modified); err != nil {
		return nil, err
	}
	in.Config, in.TokenHash = nilIfEmpty(in.Config), nilIfEmpty(in.TokenHash)
	return in, nil
}

// scanResource reads the columns of resourceColumns.
func scanResource(s scanner, instance, typ string) (*store.Resource, error) {
	r := &store.Resource{Instance: instance, Type: typ}
	var created, modified, emails string
	if err := s.Scan(&r.Seq, &r.ID, &r.Version, &created, &modified, &r.Data, &r.UserName, &r.ExternalID, &r.DisplayName, &emails); err != nil {
		return nil, err
	}
	var err error
	if r.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.Modified, err = parseTime(modified); err != nil {
		return nil, err
	}
	if emails != "" {
		if r.Emails, err = decodeStrings(emails); err != nil {
			return nil, fmt.Errorf("stored emails: %w", err)
		}
	}
	r.Data = nilIfEmpty(r.Data)
	return r, nil
}

// writeErr wraps a failed write, mapping a uniqueness violation to
// store.ErrConflict (with why, when given, as the reason).
func writeErr(what, why string, err error) error {
	var se *sqlitedriver.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			if why == "" {
				why = "duplicate key"
			}
			return fmt.Errorf("sqlite: %s: %s: %w (%v)", what, why, store.ErrConflict, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}
