package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// stmtID names one prepared statement.
type stmtID int

const (
	stmtGetInstance stmtID = iota
	stmtListInstances
	stmtGetSetting
	stmtGetResource
	stmtFindByUserName
	stmtFindByExternalID
	stmtFindByDisplayName
	stmtFindGroupByDisplayName
	stmtFindByEmail
	stmtListResources
	stmtCountResources
	stmtMembers
	stmtHasMember
	stmtGroupsOf
	stmtTypesOf
	stmtGroupsOfMany
	stmtCreateInstance
	stmtUpdateInstance
	stmtDeleteInstance
	stmtDeleteInstanceEmails
	stmtDeleteInstanceResources
	stmtDeleteInstanceMemberships
	stmtDeleteInstanceCounts
	stmtPutSetting
	stmtInsertResource
	stmtLookupForPut
	stmtResourceVersion
	// stmtUpdateResource + a mask of the updated key column groups
	// (updateUserName, updateExternalID, updateDisplayName): 8 statements.
	stmtUpdateResource
	_
	_
	_
	_
	_
	_
	_
	stmtInsertEmail
	stmtDeleteEmails
	stmtDeleteResource
	stmtTouchResource
	stmtDeleteGroupMemberships
	stmtAddMember
	stmtRemoveMember
	stmtSavepoint
	stmtRollbackToSavepoint
	stmtReleaseSavepoint

	numStmts
)

// firstWriteStmt starts the statements that write; the read pool does not
// prepare them.
const firstWriteStmt = stmtCreateInstance

// groupType is the store.Resource Type of groups, which migration 0004
// indexes by displayName.
const groupType = "Group"

// resourceColumns is what scanResource reads, in order.
const resourceColumns = `r.seq, r.id, r.version, r.created, r.modified, r.data, r.user_name, r.external_id, r.display_name, r.emails`

// stmtSQL holds every statement. Each lookup names the index it relies on
// in its WHERE clause; a partial index is used only when the query repeats
// its condition (key <> ”), which callers guarantee by never looking up ”.
var stmtSQL = [numStmts]string{
	stmtGetInstance:   `SELECT name, type, version, config, token_hash, created, modified FROM instances WHERE name = ?`,
	stmtListInstances: `SELECT name, type, version, config, token_hash, created, modified FROM instances ORDER BY name`,
	stmtGetSetting:    `SELECT value FROM settings WHERE key = ?`,

	stmtGetResource:       `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.id = ? AND r.type = ?`,
	stmtFindByUserName:    `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.type = ? AND r.user_name_lower = ? AND r.user_name_lower <> '' ORDER BY r.seq`,
	stmtFindByExternalID:  `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.type = ? AND r.external_id = ? AND r.external_id <> '' ORDER BY r.seq`,
	stmtFindByDisplayName: `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.type = ? AND r.display_name_lower = ? AND r.display_name_lower <> '' ORDER BY r.seq`,
	// The literal type lets SQLite use the partial index of groups'
	// displayNames (migration 0004); a bound one cannot. The bound one is
	// kept so that both statements take the same arguments.
	stmtFindGroupByDisplayName: `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.type = ? AND r.type = 'Group' AND r.display_name_lower = ? AND r.display_name_lower <> '' ORDER BY r.seq`,
	stmtFindByEmail: `SELECT ` + resourceColumns + ` FROM resource_emails e JOIN resources r ON r.seq = e.resource
		WHERE e.instance = ? AND e.type = ? AND e.email_lower = ? ORDER BY r.seq`,
	stmtListResources:  `SELECT ` + resourceColumns + ` FROM resources r WHERE r.instance = ? AND r.type = ? AND r.seq > ? ORDER BY r.seq LIMIT ?`,
	stmtCountResources: `SELECT n FROM resource_counts WHERE instance = ? AND type = ?`,

	// The member's display comes from its resource if there is one.
	stmtMembers: `SELECT m.member_id, m.member_type, COALESCE(NULLIF(r.display_name, ''), r.user_name, '')
		FROM memberships m LEFT JOIN resources r ON r.instance = m.instance AND r.id = m.member_id
		WHERE m.instance = ? AND m.group_id = ? ORDER BY m.added`,
	stmtHasMember: `SELECT 1 FROM memberships WHERE instance = ? AND group_id = ? AND member_id = ?`,
	// The id lists below arrive as one JSON array (json_each), so a batch
	// of members costs one statement, not one per member.
	stmtGroupsOfMany: `SELECT m.member_id, m.group_id, g.display_name
		FROM memberships m JOIN resources g ON g.instance = m.instance AND g.id = m.group_id
		WHERE m.instance = ? AND m.member_id IN (SELECT value FROM json_each(?)) ORDER BY m.member_id, g.seq`,
	stmtTypesOf: `SELECT r.id, r.type FROM resources r
		WHERE r.instance = ? AND r.id IN (SELECT value FROM json_each(?))`,
	// A membership whose group resource is gone is not a group the member
	// belongs to, hence the inner join.
	stmtGroupsOf: `SELECT m.group_id, g.display_name
		FROM memberships m JOIN resources g ON g.instance = m.instance AND g.id = m.group_id
		WHERE m.instance = ? AND m.member_id = ? ORDER BY g.seq`,

	stmtCreateInstance: `INSERT INTO instances (name, type, version, config, token_hash, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	stmtUpdateInstance: `UPDATE instances SET type = ?, version = ?, config = ?, token_hash = ?, modified = ? WHERE name = ? RETURNING created`,
	stmtDeleteInstance: `DELETE FROM instances WHERE name = ?`,
	// Deleting the emails first spares the per-row foreign-key cascade.
	stmtDeleteInstanceEmails:      `DELETE FROM resource_emails WHERE instance = ?`,
	stmtDeleteInstanceResources:   `DELETE FROM resources WHERE instance = ?`,
	stmtDeleteInstanceMemberships: `DELETE FROM memberships WHERE instance = ?`,
	stmtDeleteInstanceCounts:      `DELETE FROM resource_counts WHERE instance = ?`,
	stmtPutSetting:                `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,

	// group_name_key claims a Group's name (migration 0006); NULL for
	// users and for a group without a name.
	stmtInsertResource: `INSERT INTO resources (instance, type, id, version, created, modified, data,
		user_name, user_name_lower, external_id, display_name, display_name_lower, emails, group_name_key)
		VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, CASE WHEN ?2 = 'Group' AND ?11 <> '' THEN ?11 END)`,
	stmtLookupForPut: `SELECT seq, version, created, emails, user_name, external_id, display_name FROM resources WHERE instance = ? AND id = ? AND type = ?`,
	// Run only when a conditional delete deleted nothing, to tell a
	// missing resource from another version.
	stmtResourceVersion:    `SELECT version FROM resources WHERE instance = ? AND id = ? AND type = ?`,
	stmtUpdateResource + 0: updateResourceSQL(0),
	stmtUpdateResource + 1: updateResourceSQL(1),
	stmtUpdateResource + 2: updateResourceSQL(2),
	stmtUpdateResource + 3: updateResourceSQL(3),
	stmtUpdateResource + 4: updateResourceSQL(4),
	stmtUpdateResource + 5: updateResourceSQL(5),
	stmtUpdateResource + 6: updateResourceSQL(6),
	stmtUpdateResource + 7: updateResourceSQL(7),
	stmtInsertEmail:        `INSERT INTO resource_emails (resource, instance, type, email_lower) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	stmtDeleteEmails:       `DELETE FROM resource_emails WHERE resource = ?`,
	// Migration 0003's trigger deletes the resource's memberships, as a
	// group and as a member, with it.
	stmtDeleteResource:         `DELETE FROM resources WHERE instance = ? AND id = ? AND type = ? AND (?4 = 0 OR version = ?4)`,
	stmtTouchResource:          `UPDATE resources SET version = version + 1, modified = ? WHERE instance = ? AND id IN (SELECT value FROM json_each(?))`,
	stmtDeleteGroupMemberships: `DELETE FROM memberships WHERE instance = ? AND group_id = ?`,
	// json_each walks the array in order, so "added" keeps the request order.
	stmtAddMember: `INSERT INTO memberships (instance, group_id, member_id, member_type)
		SELECT ?, ?, j.value ->> '$[0]', j.value ->> '$[1]' FROM json_each(?) j WHERE true
		ON CONFLICT DO NOTHING`,
	stmtRemoveMember: `DELETE FROM memberships WHERE instance = ? AND group_id = ? AND member_id IN (SELECT value FROM json_each(?))`,

	// Group commit runs each Update's fn inside its own savepoint.
	stmtSavepoint:           `SAVEPOINT fn`,
	stmtRollbackToSavepoint: `ROLLBACK TO fn`,
	stmtReleaseSavepoint:    `RELEASE fn`,
}

// Key column groups an update of a resource rewrites (a mask added to
// stmtUpdateResource). SQLite rewrites the index entries of every column
// an UPDATE sets, changed or not, so a replace that keeps userName (most
// PATCHes) leaves its index page alone and has one page fewer to commit.
const (
	updateUserName    = 1 << iota // user_name, user_name_lower
	updateExternalID              // external_id
	updateDisplayName             // display_name, display_name_lower, group_name_key (the new lowercased name thrice)
)

// updateResourceSQL is the UPDATE of a resource by seq that sets version,
// modified, data and emails, plus the key column groups in mask, in that
// order; the last two parameters are the seq and the version it must have.
func updateResourceSQL(mask int) string {
	q := `UPDATE resources SET version = ?, modified = ?, data = ?, emails = ?`
	if mask&updateUserName != 0 {
		q += `, user_name = ?, user_name_lower = ?`
	}
	if mask&updateExternalID != 0 {
		q += `, external_id = ?`
	}
	if mask&updateDisplayName != 0 {
		// A new name claims its key (migration 0006); one changed only
		// in case keeps what it had, so a group that shares its name
		// with an older one since before 0006 can still be written.
		// (The right-hand side sees the row as it was.)
		// The three last parameters are the new lowercased name.
		q += `, display_name = ?, display_name_lower = ?, group_name_key = CASE WHEN display_name_lower = ? THEN group_name_key
			WHEN type = 'Group' THEN NULLIF(?, '') END`
	}
	return q + ` WHERE seq = ? AND version = ?`
}

// statements are the statements prepared on one pool. database/sql keeps a
// prepared copy per connection and reuses it when a transaction binds the
// statement (sql.Tx.StmtContext), so SQLite parses each statement once per
// connection.
type statements [numStmts]*sql.Stmt

// prepare prepares the statements below upTo on db.
func prepare(ctx context.Context, db *sql.DB, upTo stmtID) (*statements, error) {
	var st statements
	for id := stmtID(0); id < upTo; id++ {
		s, err := db.PrepareContext(ctx, stmtSQL[id])
		if err != nil {
			_ = st.close()
			return nil, fmt.Errorf("sqlite: prepare %q: %w", stmtSQL[id], err)
		}
		st[id] = s
	}
	return &st, nil
}

func (st *statements) close() error {
	var errs []error
	for i, s := range st {
		if s != nil {
			errs = append(errs, s.Close())
			st[i] = nil
		}
	}
	return errors.Join(errs...)
}
