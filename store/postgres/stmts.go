package postgres

// The statements of the store. pgx prepares each one once per connection
// (its statement cache) and reuses the plan. Every lookup names the index
// it relies on in its WHERE clause; a partial index is used only when the
// query repeats its condition (key <> ''), which callers guarantee by
// never looking up ''. Batches of ids arrive as one array parameter
// (= ANY($n) or unnest), so a batch is one statement and one round trip.

// Transaction starts, sent in the same round trip as the first statement.
const (
	// beginView: one snapshot for the whole View, and no writes.
	beginView = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	// beginUpdate: one snapshot per attempt; a write to a row that a
	// transaction committed after that snapshot fails with SQLSTATE 40001
	// and Update runs the attempt again. The statements below turn every
	// read-then-write the store.Tx contract allows into such a row
	// conflict (see "Isolation" in doc.go), which SERIALIZABLE would have
	// found at the price of many false conflicts on index pages.
	beginUpdate = `BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE`
)

const (
	sqlGetInstance   = `SELECT name, type, version, config, token_hash, created, modified FROM instances WHERE name = $1`
	sqlListInstances = `SELECT name, type, version, config, token_hash, created, modified FROM instances ORDER BY name`
	sqlGetSetting    = `SELECT value FROM settings WHERE key = $1`

	// ON CONFLICT DO NOTHING: a name this transaction's snapshot shows
	// taken inserts nothing (store.ErrConflict); one taken by a
	// transaction that committed after the snapshot fails with SQLSTATE
	// 40001, so the attempt runs again and sees it, as under SERIALIZABLE.
	sqlCreateInstance = `INSERT INTO instances (name, type, version, config, token_hash, created, modified)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
	sqlUpdateInstance = `UPDATE instances SET type = $2, version = $3, config = $4, token_hash = $5, modified = $6
		WHERE name = $1 RETURNING created`
	// One statement deletes the instance and its whole directory. Each
	// part runs only if the instance existed, which the caller learns from
	// the count. The resources_count_delete trigger runs after the whole
	// statement and so finds no counter left to update.
	sqlDeleteInstance = `WITH i AS (DELETE FROM instances WHERE name = $1 RETURNING 1),
		e AS (DELETE FROM resource_emails WHERE instance = $1 AND EXISTS (SELECT 1 FROM i)),
		r AS (DELETE FROM resources WHERE instance = $1 AND EXISTS (SELECT 1 FROM i)),
		m AS (DELETE FROM memberships WHERE instance = $1 AND EXISTS (SELECT 1 FROM i)),
		c AS (DELETE FROM resource_counts WHERE instance = $1 AND EXISTS (SELECT 1 FROM i))
		SELECT count(*) FROM i`
	sqlPutSetting = `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

// resourceColumns is what scanResource reads, in order.
const resourceColumns = `r.seq, r.id, r.version, r.created, r.modified, r.data, r.user_name, r.external_id, r.display_name, r.emails`

const (
	sqlGetResource = `SELECT ` + resourceColumns + ` FROM resources r
		WHERE r.instance = $1 AND r.id = $2 AND r.type = $3`
	sqlFindByUserName = `SELECT ` + resourceColumns + ` FROM resources r
		WHERE r.instance = $1 AND r.type = $2 AND r.user_name_key = $3 AND r.user_name_key <> '' ORDER BY r.seq`
	sqlFindByExternalID = `SELECT ` + resourceColumns + ` FROM resources r
		WHERE r.instance = $1 AND r.type = $2 AND r.external_id = $3 AND r.external_id <> '' ORDER BY r.seq`
	sqlFindByDisplayName = `SELECT ` + resourceColumns + ` FROM resources r
		WHERE r.instance = $1 AND r.type = $2 AND r.display_name_key = $3 AND r.display_name_key <> '' ORDER BY r.seq`
	sqlFindByEmail = `SELECT ` + resourceColumns + ` FROM resource_emails e JOIN resources r ON r.instance = e.instance AND r.id = e.id
		WHERE e.instance = $1 AND e.type = $2 AND e.email_key = $3 ORDER BY e.seq`
	// Keyset paging on the (instance, type, seq) index: no OFFSET, so
	// every page costs the same.
	sqlListResources = `SELECT ` + resourceColumns + ` FROM resources r
		WHERE r.instance = $1 AND r.type = $2 AND r.seq > $3 ORDER BY r.seq LIMIT $4`
	sqlCountResources = `SELECT COALESCE(sum(n), 0)::bigint FROM resource_counts WHERE instance = $1 AND type = $2`

	// ON CONFLICT DO NOTHING, as sqlCreateInstance: no row returned
	// means the id or the userName is taken in this snapshot.
	// group_name_key claims a Group's name (migration 0003); NULL for
	// users and for a group without a name.
	sqlCreateResource = `INSERT INTO resources (instance, type, id, version, created, modified, data,
		user_name, user_name_key, external_id, display_name, display_name_key, emails, email_keys, group_name_key)
		VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			CASE WHEN $2 = 'Group' AND $11 <> '' THEN $11 END)
		ON CONFLICT DO NOTHING RETURNING seq`
	// $4 = 0 means unconditional. Created is read back: it never changes
	// (RFC 7643 §3.1).
	// A changed name claims its key (migration 0003); an unchanged one
	// keeps what it had, so a group that shares its name with an older
	// one since before 0003 can still be written.
	sqlPutResource = `UPDATE resources SET version = version + 1, modified = $5, data = $6,
		user_name = $7, user_name_key = $8, external_id = $9, display_name = $10, display_name_key = $11,
		emails = $12, email_keys = $13,
		group_name_key = CASE WHEN display_name_key = $11 THEN group_name_key
			WHEN type = 'Group' AND $11 <> '' THEN $11 END
		WHERE instance = $1 AND id = $2 AND type = $3 AND ($4::bigint = 0 OR version = $4::bigint)
		RETURNING seq, version, created`
	// Run only when sqlPutResource changed nothing, to tell a missing
	// resource from a version mismatch.
	sqlResourceVersion = `SELECT version FROM resources WHERE instance = $1 AND id = $2 AND type = $3`
	// The resource, its email index and its memberships as a group and as
	// a member, in one statement; memberships go only if the resource did.
	sqlDeleteResource = `WITH r AS (DELETE FROM resources WHERE instance = $1 AND id = $2 AND type = $3
			AND ($4::bigint = 0 OR version = $4::bigint) RETURNING 1),
		e AS (DELETE FROM resource_emails WHERE instance = $1 AND id = $2 AND EXISTS (SELECT 1 FROM r)),
		m AS (DELETE FROM memberships WHERE instance = $1 AND (group_id = $2 OR member_id = $2) AND EXISTS (SELECT 1 FROM r))
		SELECT count(*) FROM r`
	sqlTouchResources = `UPDATE resources SET version = version + 1, modified = $3
		WHERE instance = $1 AND id = ANY($2::text[])`
	sqlTypesOf = `SELECT id, type FROM resources WHERE instance = $1 AND id = ANY($2::text[])`
)

const (
	// The member's display comes from its resource if there is one. The
	// correlated lookup (one primary-key probe per member) keeps the plan
	// a scan of the group's own range, whatever the sizes: a join may hash
	// every resource of the instance.
	sqlMembers = `SELECT m.member_id, m.member_type,
		COALESCE((SELECT COALESCE(NULLIF(r.display_name, ''), r.user_name) FROM resources r
			WHERE r.instance = m.instance AND r.id = m.member_id), '')
		FROM memberships m WHERE m.instance = $1 AND m.group_id = $2 ORDER BY m.added`
	sqlHasMember = `SELECT EXISTS (SELECT 1 FROM memberships WHERE instance = $1 AND group_id = $2 AND member_id = $3)`
	// A membership whose group resource is gone is not a group the member
	// belongs to, hence the inner join.
	sqlGroupsOf = `SELECT m.group_id, g.display_name
		FROM memberships m JOIN resources g ON g.instance = m.instance AND g.id = m.group_id
		WHERE m.instance = $1 AND m.member_id = $2 ORDER BY g.seq`
	// GroupsOf for many members in one statement.
	// Driven by the ids, so that each is an index probe.
	sqlGroupsOfMany = `SELECT m.member_id, m.group_id, g.display_name
		FROM (SELECT DISTINCT x FROM unnest($2::text[]) AS x) AS ids
		JOIN memberships m ON m.instance = $1 AND m.member_id = ids.x
		JOIN resources g ON g.instance = m.instance AND g.id = m.group_id
		ORDER BY m.member_id, g.seq`
	// unnest walks the arrays in order and ORDER BY keeps it, so "added"
	// follows the request's order. A member listed twice is added once.
	//
	// held rewrites the group's and the members' resource rows unchanged:
	// a concurrent DeleteResource of any of them then conflicts with this
	// transaction on that row (SQLSTATE 40001 for whichever commits
	// second), so a membership never outlives its member or group. A row
	// lock would not do: under REPEATABLE READ a DELETE that waited for a
	// mere locker goes ahead once it commits, and its snapshot misses the
	// new membership. Members that name no resource hold nothing.
	sqlAddMembers = `WITH held AS (
			UPDATE resources SET version = version
			WHERE instance = $1 AND id = ANY($3::text[] || $2::text)
		)
		INSERT INTO memberships (instance, group_id, member_id, member_type)
		SELECT $1, $2, m.id, m.type FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS m (id, type, ord)
		ORDER BY m.ord
		ON CONFLICT DO NOTHING`
	sqlRemoveMembers    = `DELETE FROM memberships WHERE instance = $1 AND group_id = $2 AND member_id = ANY($3::text[])`
	sqlRemoveAllMembers = `DELETE FROM memberships WHERE instance = $1 AND group_id = $2`
)
