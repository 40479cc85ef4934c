-- 0001_init: the initial schema.
--
-- Times are UTC text in a fixed-width RFC 3339 form with nanoseconds
-- ("2006-01-02T15:04:05.000000000Z"), so they sort as text and round-trip
-- exactly. Case-insensitive keys are lowercased by the application (Go's
-- Unicode lowercasing) so that SQL only ever compares bytes.

CREATE TABLE instances (
    name       TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    version    TEXT NOT NULL,
    config     BLOB NOT NULL,
    token_hash BLOB NOT NULL,
    created    TEXT NOT NULL,
    modified   TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- seq orders lists and drives keyset paging. AUTOINCREMENT keeps it from
-- ever being reused, so a client paging with "seq > n" never misses a
-- resource created after it read n.
CREATE TABLE resources (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    instance           TEXT    NOT NULL,
    type               TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    version            INTEGER NOT NULL,
    created            TEXT    NOT NULL,
    modified           TEXT    NOT NULL,
    data               BLOB    NOT NULL,
    user_name          TEXT    NOT NULL,
    user_name_lower    TEXT    NOT NULL,
    external_id        TEXT    NOT NULL,
    display_name       TEXT    NOT NULL,
    display_name_lower TEXT    NOT NULL,
    emails             TEXT    NOT NULL, -- JSON array as given; '' when none
    UNIQUE (instance, id)
);

-- An empty userName means "none" and never conflicts.
CREATE UNIQUE INDEX resources_user_name
    ON resources (instance, type, user_name_lower) WHERE user_name_lower <> '';
CREATE INDEX resources_external_id
    ON resources (instance, type, external_id) WHERE external_id <> '';
CREATE INDEX resources_display_name
    ON resources (instance, type, display_name_lower) WHERE display_name_lower <> '';
CREATE INDEX resources_list ON resources (instance, type, seq);

CREATE TABLE resource_emails (
    resource    INTEGER NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
    instance    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    email_lower TEXT    NOT NULL,
    PRIMARY KEY (resource, email_lower)
);
CREATE INDEX resource_emails_lookup ON resource_emails (instance, type, email_lower);

-- added is the rowid: a new row gets max(added)+1, so it orders members by
-- when they were added, and an explicit INTEGER PRIMARY KEY survives VACUUM.
-- (instance, group_id, member_id) is the logical key. memberships_order
-- lets Members stream a group in order without sorting it;
-- memberships_member covers GroupsOf.
CREATE TABLE memberships (
    added       INTEGER PRIMARY KEY,
    instance    TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    member_type TEXT NOT NULL,
    UNIQUE (instance, group_id, member_id)
);
CREATE INDEX memberships_order ON memberships (instance, group_id, added);
CREATE INDEX memberships_member ON memberships (instance, member_id, group_id);

-- resource_counts keeps CountResources O(1): a SCIM list reports
-- totalResults on every page (RFC 7644 §3.4.2), and counting an index
-- range costs O(resources). The triggers keep it exact on every path that
-- inserts or deletes resources.
CREATE TABLE resource_counts (
    instance TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (instance, type)
);

CREATE TRIGGER resources_count_insert AFTER INSERT ON resources
BEGIN
    INSERT INTO resource_counts (instance, type, n) VALUES (NEW.instance, NEW.type, 1)
        ON CONFLICT (instance, type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER resources_count_delete AFTER DELETE ON resources
BEGIN
    UPDATE resource_counts SET n = n - 1 WHERE instance = OLD.instance AND type = OLD.type;
END;
