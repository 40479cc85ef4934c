package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scimconnect/scimconnect/store"
)

// errTxDone is returned when a Tx is used after its fn returned.
var errTxDone = errors.New("postgres: transaction already ended")

// tx implements store.Tx on one pooled connection. The transaction begins
// lazily: its BEGIN travels in the same round trip as the first statement,
// and a fn that runs no statement costs no round trip at all.
type tx struct {
	ctx      context.Context // of the View or Update
	conn     *pgxpool.Conn
	begin    string // beginView or beginUpdate
	begun    bool   // BEGIN was sent: the transaction must be ended
	readOnly bool
	done     bool
	// notify is set by a write to instances or settings: the commit
	// then notifies the other replicas (notify.go) on schema.
	notify bool
	schema string
	// retry is the first serialization failure or deadlock a statement of
	// this attempt met: the transaction is lost and Update runs fn again,
	// whatever fn made of the error.
	retry error
}

var _ store.Tx = (*tx)(nil)

// check reports whether the Tx may run one more call.
func (t *tx) check(ctx context.Context, write bool) error {
	if t.done {
		return errTxDone
	}
	if write && t.readOnly {
		return fmt.Errorf("postgres: write in a View: %w", store.ErrReadOnly)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.ctx.Err()
}

// note records err if it means the transaction must be retried, and
// returns it, marked as store.ErrValueRejected when a value the caller
// gave is at fault.
func (t *tx) note(err error) error {
	if err != nil && t.retry == nil && retryable(err) {
		t.retry = err
	}
	return valueErr(err)
}

// batch sends sql after the transaction's BEGIN, in one round trip.
func (t *tx) batch(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(t.begin)
	b.Queue(sql, args...)
	// From here the connection may be in a transaction; ending it is due
	// even if the batch fails half-way.
	t.begun = true
	br := t.conn.SendBatch(ctx, b)
	return br
}

// exec runs a statement that returns no rows.
func (t *tx) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun {
		tag, err := t.conn.Exec(ctx, sql, args...)
		return tag, t.note(err)
	}
	br := t.batch(ctx, sql, args)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, t.note(err)
}

// queryRow runs a statement returning at most one row and scans it into
// dest; pgx.ErrNoRows if there is none.
func (t *tx) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	if t.begun {
		return t.note(t.conn.QueryRow(ctx, sql, args...).Scan(dest...))
	}
	br := t.batch(ctx, sql, args)
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(dest...)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return t.note(err)
}

// queryRows runs a statement and calls each for every row, checking the
// contexts every few hundred rows.
func (t *tx) queryRows(ctx context.Context, sql string, args []any, each func(pgx.Rows) error) (err error) {
	var (
		rows pgx.Rows
		br   pgx.BatchResults
	)
	if t.begun {
		rows, err = t.conn.Query(ctx, sql, args...)
	} else {
		br = t.batch(ctx, sql, args)
		if _, err = br.Exec(); err == nil {
			rows, err = br.Query()
		}
	}
	defer func() {
		if br != nil {
			if cerr := br.Close(); err == nil {
				err = cerr
			}
		}
		err = t.note(err)
	}()
	if err != nil {
		return err
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		if n%256 == 0 {
			if err := t.check(ctx, false); err != nil {
				return err
			}
		}
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Instances.

// GetInstance returns the named instance or store.ErrNotFound.
func (t *tx) GetInstance(ctx context.Context, name string) (*store.Instance, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	in, err := t.scanInstance(ctx, sqlGetInstance, name)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: instance %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get instance %q: %w", name, err)
	}
	return in, nil
}

func (t *tx) scanInstance(ctx context.Context, sql string, name string) (*store.Instance, error) {
	in := &store.Instance{}
	if err := t.queryRow(ctx, sql, []any{name}, instanceDest(in)...); err != nil {
		return nil, err
	}
	fixInstance(in)
	return in, nil
}

func instanceDest(in *store.Instance) []any {
	return []any{&in.Name, &in.Type, &in.Version, &in.Config, &in.TokenHash, &in.Created, &in.Modified}
}

func fixInstance(in *store.Instance) {
	in.Created, in.Modified = in.Created.UTC(), in.Modified.UTC()
	in.Config, in.TokenHash = nilIfEmpty(in.Config), nilIfEmpty(in.TokenHash)
}

// ListInstances returns every instance ordered by name (bytewise).
func (t *tx) ListInstances(ctx context.Context) ([]*store.Instance, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var out []*store.Instance
	err := t.queryRows(ctx, sqlListInstances, nil, func(rows pgx.Rows) error {
		in := &store.Instance{}
		if err := rows.Scan(instanceDest(in)...); err != nil {
			return err
		}
		fixInstance(in)
		out = append(out, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list instances: %w", err)
	}
	return out, nil
}

// CreateInstance inserts in; store.ErrConflict if the name exists.
func (t *tx) CreateInstance(ctx context.Context, in *store.Instance) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if in == nil || in.Name == "" {
		return errors.New("postgres: create instance: empty name")
	}
	tag, err := t.exec(ctx, sqlCreateInstance, in.Name, in.Type, in.Version, blob(in.Config), blob(in.TokenHash), in.Created, in.Modified)
	if err != nil {
		return writeErr(fmt.Sprintf("create instance %q", in.Name), "name exists", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create instance %q: name exists: %w", in.Name, store.ErrConflict)
	}
	t.notify = true
	return nil
}

// UpdateInstance overwrites everything but the name and Created, which it
// sets in in from the stored instance; store.ErrNotFound if missing.
func (t *tx) UpdateInstance(ctx context.Context, in *store.Instance) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if in == nil {
		return errors.New("postgres: update instance: nil instance")
	}
	var created time.Time
	err := t.queryRow(ctx, sqlUpdateInstance, []any{in.Name, in.Type, in.Version, blob(in.Config), blob(in.TokenHash), in.Modified}, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: update instance %q: %w", in.Name, store.ErrNotFound)
	}
	if err != nil {
		return writeErr(fmt.Sprintf("update instance %q", in.Name), "", err)
	}
	in.Created = created.UTC()
	t.notify = true
	return nil
}

// DeleteInstance deletes the instance with its resources, their emails,
// the memberships and the counters of its directory, in one statement;
// store.ErrNotFound if missing.
func (t *tx) DeleteInstance(ctx context.Context, name string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	var n int64
	if err := t.queryRow(ctx, sqlDeleteInstance, []any{name}, &n); err != nil {
		return writeErr(fmt.Sprintf("delete instance %q", name), "", err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: delete instance %q: %w", name, store.ErrNotFound)
	}
	t.notify = true
	return nil
}

// GetSetting returns the value of key or store.ErrNotFound.
func (t *tx) GetSetting(ctx context.Context, key string) ([]byte, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var v []byte
	err := t.queryRow(ctx, sqlGetSetting, []any{key}, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: setting %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get setting %q: %w", key, err)
	}
	return nilIfEmpty(v), nil
}

// PutSetting inserts or overwrites key.
func (t *tx) PutSetting(ctx context.Context, key string, value []byte) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if _, err := t.exec(ctx, sqlPutSetting, key, blob(value)); err != nil {
		return writeErr(fmt.Sprintf("put setting %q", key), "", err)
	}
	t.notify = true
	return nil
}

// Resources.

// GetResource returns one resource or store.ErrNotFound.
func (t *tx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	r := &store.Resource{Instance: instance, Type: typ}
	err := t.queryRow(ctx, sqlGetResource, []any{instance, id, typ}, resourceDest(r)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: %s %q in %q: %w", typ, id, instance, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s %q in %q: %w", typ, id, instance, err)
	}
	fixResource(r)
	return r, nil
}

// FindResources returns the resources whose key equals value, ordered by
// Seq. An empty value means "not set" and matches nothing.
func (t *tx) FindResources(ctx context.Context, instance, typ string, key store.Key, value string) ([]*store.Resource, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var sql string
	switch key {
	case store.KeyUserName:
		sql, value = sqlFindByUserName, fold(value)
	case store.KeyExternalID:
		sql = sqlFindByExternalID
	case store.KeyDisplayName:
		sql, value = sqlFindByDisplayName, fold(value)
	case store.KeyEmail:
		sql, value = sqlFindByEmail, fold(value)
	default:
		return nil, fmt.Errorf("postgres: find resources: unknown key %d", key)
	}
	if value == "" {
		return nil, nil
	}
	return t.queryResources(ctx, "find resources", instance, typ, sql, instance, typ, value)
}

// ListResources returns up to limit resources with Seq > afterSeq, ordered
// by Seq. limit <= 0 returns nothing.
func (t *tx) ListResources(ctx context.Context, instance, typ string, afterSeq int64, limit int) ([]*store.Resource, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	return t.queryResources(ctx, "list resources", instance, typ, sqlListResources, instance, typ, afterSeq, int64(limit))
}

func (t *tx) queryResources(ctx context.Context, what, instance, typ, sql string, args ...any) ([]*store.Resource, error) {
	var out []*store.Resource
	err := t.queryRows(ctx, sql, args, func(rows pgx.Rows) error {
		r := &store.Resource{Instance: instance, Type: typ}
		if err := rows.Scan(resourceDest(r)...); err != nil {
			return err
		}
		fixResource(r)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: %s %s in %q: %w", what, typ, instance, err)
	}
	return out, nil
}

// CountResources counts the resources of a type, summing the shards of
// the counter the schema's triggers maintain.
func (t *tx) CountResources(ctx context.Context, instance, typ string) (int, error) {
	if err := t.check(ctx, false); err != nil {
		return 0, err
	}
	var n int64
	if err := t.queryRow(ctx, sqlCountResources, []any{instance, typ}, &n); err != nil {
		return 0, fmt.Errorf("postgres: count %s in %q: %w", typ, instance, err)
	}
	return int(n), nil
}

// CreateResource inserts r and sets r.Seq and r.Version = 1. The email
// index and the counter follow by trigger, in the same round trip.
func (t *tx) CreateResource(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if r == nil || r.ID == "" {
		return errors.New("postgres: create resource: empty id")
	}
	var seq int64
	err := t.queryRow(ctx, sqlCreateResource, []any{r.Instance, r.Type, r.ID, r.Created, r.Modified, blob(r.Data),
		r.UserName, fold(r.UserName), r.ExternalID, r.DisplayName, fold(r.DisplayName), texts(r.Emails), emailKeys(r.Emails)}, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: create %s %q in %q: id, userName or group name taken: %w", r.Type, r.ID, r.Instance, store.ErrConflict)
	}
	if err != nil {
		return writeErr(fmt.Sprintf("create %s %q in %q", r.Type, r.ID, r.Instance), "id, userName or group name taken", err)
	}
	r.Seq, r.Version = seq, 1
	return nil
}

// PutResource replaces a resource's contents. It keeps the stored Seq and
// Created (meta.created never changes, RFC 7643 §3.1) and sets them in r,
// with r.Version incremented.
func (t *tx) PutResource(ctx context.Context, r *store.Resource, ifVersion int64) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if r == nil {
		return errors.New("postgres: put resource: nil resource")
	}
	what := fmt.Sprintf("put %s %q in %q", r.Type, r.ID, r.Instance)
	var (
		seq, version int64
		created      time.Time
	)
	err := t.queryRow(ctx, sqlPutResource, []any{r.Instance, r.ID, r.Type, max(ifVersion, 0), r.Modified, blob(r.Data),
		r.UserName, fold(r.UserName), r.ExternalID, r.DisplayName, fold(r.DisplayName), texts(r.Emails), emailKeys(r.Emails)},
		&seq, &version, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return t.versionMismatch(ctx, what, r.Instance, r.Type, r.ID, ifVersion)
	}
	if err != nil {
		return writeErr(what, "userName or group name taken", err)
	}
	r.Seq, r.Version, r.Created = seq, version, created.UTC()
	return nil
}

// versionMismatch explains a conditional write that changed nothing: the
// resource is missing, or its stored version is not ifVersion.
func (t *tx) versionMismatch(ctx context.Context, what, instance, typ, id string, ifVersion int64) error {
	var stored int64
	err := t.queryRow(ctx, sqlResourceVersion, []any{instance, id, typ}, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return fmt.Errorf("postgres: %s: stored version %d, expected %d: %w", what, stored, ifVersion, store.ErrVersionMismatch)
}

// ReplaceResource is PutResource with ifVersion prev.Version: the UPDATE
// checks the version itself, so knowing prev saves nothing here.
func (t *tx) ReplaceResource(ctx context.Context, r, prev *store.Resource) error {
	if prev == nil || prev.Version <= 0 {
		return errors.New("postgres: replace resource: no previous version")
	}
	return t.PutResource(ctx, r, prev.Version)
}

// TouchResources bumps the version and modification time of the existing
// resources among ids, in one statement.
func (t *tx) TouchResources(ctx context.Context, instance string, ids []string, modified time.Time) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, sqlTouchResources, instance, ids, modified); err != nil {
		return writeErr(fmt.Sprintf("touch %d resources in %q", len(ids), instance), "", err)
	}
	return nil
}

// TypesOf returns the type of each listed resource that exists, in one
// statement.
func (t *tx) TypesOf(ctx context.Context, instance string, ids []string) (map[string]string, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := t.queryRows(ctx, sqlTypesOf, []any{instance, ids}, func(rows pgx.Rows) error {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			return err
		}
		out[id] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: types of resources in %q: %w", instance, err)
	}
	return out, nil
}

// DeleteResource deletes a resource, its email index and its memberships
// as a group and as a member, in one statement; store.ErrNotFound if
// missing.
func (t *tx) DeleteResource(ctx context.Context, instance, typ, id string, ifVersion int64) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	what := fmt.Sprintf("delete %s %q in %q", typ, id, instance)
	var n int64
	if err := t.queryRow(ctx, sqlDeleteResource, []any{instance, id, typ, max(ifVersion, 0)}, &n); err != nil {
		return writeErr(what, "", err)
	}
	if n == 0 && ifVersion > 0 {
		return t.versionMismatch(ctx, what, instance, typ, id, ifVersion)
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: %w", what, store.ErrNotFound)
	}
	return nil
}

// Memberships.

// AddMembers adds the members not already in the group, in one statement
// costing one index insertion per member, whatever the group's size.
func (t *tx) AddMembers(ctx context.Context, instance, groupID string, members []store.Member) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	ids, types := make([]string, len(members)), make([]string, len(members))
	for i, m := range members {
		ids[i], types[i] = m.ID, m.Type
	}
	if _, err := t.exec(ctx, sqlAddMembers, instance, groupID, ids, types); err != nil {
		return writeErr(fmt.Sprintf("add %d members to group %q in %q", len(members), groupID, instance), "", err)
	}
	return nil
}

// RemoveMembers removes the listed members, in one statement.
func (t *tx) RemoveMembers(ctx context.Context, instance, groupID string, memberIDs []string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if len(memberIDs) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, sqlRemoveMembers, instance, groupID, memberIDs); err != nil {
		return writeErr(fmt.Sprintf("remove %d members from group %q in %q", len(memberIDs), groupID, instance), "", err)
	}
	return nil
}

// RemoveAllMembers empties a group.
func (t *tx) RemoveAllMembers(ctx context.Context, instance, groupID string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if _, err := t.exec(ctx, sqlRemoveAllMembers, instance, groupID); err != nil {
		return writeErr(fmt.Sprintf("remove all members of group %q in %q", groupID, instance), "", err)
	}
	return nil
}

// Members lists a group's members in the order they were added, each with
// the display of its resource (DisplayName, else UserName, else "").
func (t *tx) Members(ctx context.Context, instance, groupID string) ([]store.Member, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var out []store.Member
	err := t.queryRows(ctx, sqlMembers, []any{instance, groupID}, func(rows pgx.Rows) error {
		var m store.Member
		if err := rows.Scan(&m.ID, &m.Type, &m.Display); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: members of group %q in %q: %w", groupID, instance, err)
	}
	return out, nil
}

// HasMember reports whether memberID is a direct member of groupID.
func (t *tx) HasMember(ctx context.Context, instance, groupID, memberID string) (bool, error) {
	if err := t.check(ctx, false); err != nil {
		return false, err
	}
	var has bool
	if err := t.queryRow(ctx, sqlHasMember, []any{instance, groupID, memberID}, &has); err != nil {
		return false, fmt.Errorf("postgres: has member %q in group %q in %q: %w", memberID, groupID, instance, err)
	}
	return has, nil
}

// GroupsOf lists the existing groups memberID is a direct member of,
// ordered by group Seq.
func (t *tx) GroupsOf(ctx context.Context, instance, memberID string) ([]store.GroupRef, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var out []store.GroupRef
	err := t.queryRows(ctx, sqlGroupsOf, []any{instance, memberID}, func(rows pgx.Rows) error {
		var g store.GroupRef
		if err := rows.Scan(&g.ID, &g.Display); err != nil {
			return err
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: groups of %q in %q: %w", memberID, instance, err)
	}
	return out, nil
}

// GroupsOfMany lists the direct groups of many members in one statement;
// members of no group are absent from the map.
func (t *tx) GroupsOfMany(ctx context.Context, instance string, memberIDs []string) (map[string][]store.GroupRef, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	out := map[string][]store.GroupRef{}
	if len(memberIDs) == 0 {
		return out, nil
	}
	err := t.queryRows(ctx, sqlGroupsOfMany, []any{instance, memberIDs}, func(rows pgx.Rows) error {
		var member string
		var g store.GroupRef
		if err := rows.Scan(&member, &g.ID, &g.Display); err != nil {
			return err
		}
		out[member] = append(out[member], g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: groups of %d members in %q: %w", len(memberIDs), instance, err)
	}
	return out, nil
}

// Encoding helpers.

// fold is the case folding of the case-insensitive keys (RFC 7643 §2.1
// caseExact=false), done here so that SQL compares bytes on every backend.
func fold(s string) string { return strings.ToLower(s) }

// emailKeys folds emails and drops empty and repeated ones: the values
// the email index holds.
func emailKeys(emails []string) []string {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		k := fold(e)
		if k == "" || contains(keys, k) {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// texts keeps nil out of NOT NULL array columns.
func texts(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// blob keeps nil out of NOT NULL bytea columns.
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

// resourceDest is where a row of resourceColumns is scanned.
func resourceDest(r *store.Resource) []any {
	return []any{&r.Seq, &r.ID, &r.Version, &r.Created, &r.Modified, &r.Data, &r.UserName, &r.ExternalID, &r.DisplayName, &r.Emails}
}

// fixResource normalizes a scanned resource: times in UTC (pgx returns
// local time) and empty values as nil, as every backend returns them.
func fixResource(r *store.Resource) {
	r.Created, r.Modified = r.Created.UTC(), r.Modified.UTC()
	r.Data = nilIfEmpty(r.Data)
	if len(r.Emails) == 0 {
		r.Emails = nil
	}
}

// SQLSTATE codes the store interprets (PostgreSQL, Appendix A).
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	// A NUL character, which text cannot hold ("invalid byte sequence
	// for encoding UTF8: 0x00").
	codeCharacterNotInRepertoire = "22021"
	// A key longer than its btree index takes (about 2.7 kB a row).
	codeProgramLimitExceeded = "54000"
)

// valueErr marks the errors a client's value causes as
// store.ErrValueRejected, so that they reach the client as bad input
// rather than as a failure of the store.
func valueErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == codeCharacterNotInRepertoire || pe.Code == codeProgramLimitExceeded) {
		return fmt.Errorf("%w: %w", store.ErrValueRejected, err)
	}
	return err
}

// retryable reports whether err means the transaction lost a race and
// would succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected
	}
	return false
}

// writeErr wraps a failed write, mapping a uniqueness violation to
// store.ErrConflict (with why, when given, as the reason).
func writeErr(what, why string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		if why == "" {
			why = "duplicate key"
		}
		return fmt.Errorf("postgres: %s: %s: %w (%v)", what, why, store.ErrConflict, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}
