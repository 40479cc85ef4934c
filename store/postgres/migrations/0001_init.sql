-- 0001_init: the initial schema.
--
-- Every key column is COLLATE "C": the store compares keys as bytes, like
-- the SQLite backend, whatever the database's default collation, and "C"
-- b-trees compare with memcmp. Case-insensitive keys (*_key columns) are
-- lowercased by the application (Go's Unicode lowercasing) so that SQL
-- never folds case. Times are timestamptz (microsecond precision).
-- Opaque values (data, config, token_hash) are bytea: kept byte for byte.
--
-- Tables are created in the first schema of the search_path; the trigger
-- functions resolve them through the search_path too, so a session that
-- writes these tables must use the same search_path as the store.

CREATE TABLE instances (
    name       text COLLATE "C" PRIMARY KEY,
    type       text  NOT NULL,
    version    text  NOT NULL,
    config     bytea NOT NULL,
    token_hash bytea NOT NULL,
    created    timestamptz NOT NULL,
    modified   timestamptz NOT NULL
);

CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- seq orders lists and drives keyset paging. An identity column draws
-- from a sequence that never goes back, so a value is never reused. No
-- index starts with seq: one would tempt the planner to page through an
-- instance by walking every instance's resources in seq order, filtering.
-- emails keeps the addresses as given; email_keys holds them lowercased,
-- without duplicates or empty ones, and feeds resource_emails.
CREATE TABLE resources (
    instance         text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    type             text COLLATE "C" NOT NULL,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    version          bigint NOT NULL,
    created          timestamptz NOT NULL,
    modified         timestamptz NOT NULL,
    data             bytea NOT NULL,
    user_name        text NOT NULL,
    user_name_key    text COLLATE "C" NOT NULL,
    external_id      text COLLATE "C" NOT NULL,
    display_name     text NOT NULL,
    display_name_key text COLLATE "C" NOT NULL,
    emails           text[] NOT NULL,
    email_keys       text[] COLLATE "C" NOT NULL,
    -- An id is unique in its instance across types; GetResource, TypesOf,
    -- TouchResources and the display lookups find resources by it.
    PRIMARY KEY (instance, id)
);

-- An empty key means "none": it never conflicts and is never indexed.
-- The trailing seq lets FindResources return matches in order unsorted.
CREATE UNIQUE INDEX resources_user_name
    ON resources (instance, type, user_name_key) WHERE user_name_key <> '';
CREATE INDEX resources_external_id
    ON resources (instance, type, external_id, seq) WHERE external_id <> '';
CREATE INDEX resources_display_name
    ON resources (instance, type, display_name_key, seq) WHERE display_name_key <> '';
CREATE INDEX resources_list ON resources (instance, type, seq);

-- One row per (resource, lowercased email), with the resource's seq so the
-- lookup index yields matches in seq order. There is no foreign key: its
-- check would read the resources index under SERIALIZABLE and make
-- concurrent creates conflict with each other; the triggers below and
-- DeleteResource/DeleteInstance keep the table exact instead.
CREATE TABLE resource_emails (
    instance  text COLLATE "C" NOT NULL,
    id        text COLLATE "C" NOT NULL,
    email_key text COLLATE "C" NOT NULL,
    type      text COLLATE "C" NOT NULL,
    seq       bigint NOT NULL,
    PRIMARY KEY (instance, id, email_key)
);
CREATE INDEX resource_emails_lookup ON resource_emails (instance, type, email_key, seq) INCLUDE (id);

CREATE FUNCTION resources_index_emails() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM resource_emails WHERE instance = NEW.instance AND id = NEW.id;
    END IF;
    INSERT INTO resource_emails (instance, id, email_key, type, seq)
        SELECT DISTINCT NEW.instance, NEW.id, k, NEW.type, NEW.seq
        FROM unnest(NEW.email_keys) AS k WHERE k <> '';
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_emails_insert AFTER INSERT ON resources
    FOR EACH ROW WHEN (cardinality(NEW.email_keys) > 0)
    EXECUTE FUNCTION resources_index_emails();
-- Most replaces keep the emails: re-index only when they changed.
CREATE TRIGGER resources_emails_update AFTER UPDATE OF email_keys ON resources
    FOR EACH ROW WHEN (OLD.email_keys IS DISTINCT FROM NEW.email_keys)
    EXECUTE FUNCTION resources_index_emails();

-- added orders a group's members by when they were added; the identity
-- hands out increasing values in insertion order. The primary key is the
-- logical key and serves every lookup by group (Members reads the group's
-- range and sorts it by added: the sort is over what it returns). A second
-- index on (instance, group_id, added) would stream Members unsorted, but
-- would also tempt the planner, in the generic plan of a cached
-- statement, to remove members by walking the whole group.
-- memberships_member covers GroupsOf.
CREATE TABLE memberships (
    instance    text COLLATE "C" NOT NULL,
    group_id    text COLLATE "C" NOT NULL,
    member_id   text COLLATE "C" NOT NULL,
    added       bigint GENERATED ALWAYS AS IDENTITY,
    member_type text NOT NULL,
    PRIMARY KEY (instance, group_id, member_id)
);
CREATE INDEX memberships_member ON memberships (instance, member_id, group_id);

-- resource_counts keeps CountResources cheap: a SCIM list reports
-- totalResults on every page (RFC 7644 §3.4.2), and counting an index
-- range costs O(resources). The count of (instance, type) is the sum of
-- its shards. A resource counts in shard seq % 64: transactions running
-- at the same time hold nearby seqs, so they update different rows and do
-- not fail each other's SERIALIZABLE commit. A shard may go negative;
-- the sum is exact. Statement triggers count a whole statement at once
-- (one row update per shard touched, whatever the number of resources).
CREATE TABLE resource_counts (
    instance text COLLATE "C" NOT NULL,
    type     text COLLATE "C" NOT NULL,
    shard    integer NOT NULL,
    n        bigint  NOT NULL,
    PRIMARY KEY (instance, type, shard)
);

CREATE FUNCTION resources_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_counts AS c (instance, type, shard, n)
        SELECT instance, type, (seq % 64)::integer, count(*)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (instance, type, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

-- A plain UPDATE, not an upsert: DeleteInstance deletes the instance's
-- counters in the same statement as its resources, and this trigger
-- (which runs at the end of that statement) must not bring them back.
CREATE FUNCTION resources_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE resource_counts AS c SET n = c.n - d.n
        FROM (SELECT instance, type, (seq % 64)::integer AS shard, count(*) AS n
              FROM old_rows GROUP BY 1, 2, 3) AS d
        WHERE c.instance = d.instance AND c.type = d.type AND c.shard = d.shard;
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_count_insert AFTER INSERT ON resources
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_count_insert();
CREATE TRIGGER resources_count_delete AFTER DELETE ON resources
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_count_delete();
