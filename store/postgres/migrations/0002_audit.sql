-- 0002_audit: the audit log of SCIM operations (store.AuditLog).
--
-- Append-only; rows leave only through PruneAudit (retention), which
-- every replica runs: deleting rows another replica already deleted is
-- harmless. at is microsecond timestamptz like every time of this
-- schema; duration_us is microseconds. calls is the JSON the audit
-- package writes (json keeps its text as written), NULL when the
-- operation made no target call.
--
-- Every index ends with (at, id), the newest-first order and the keyset
-- position of a page, so a page is read without sorting. Queries filter
-- on at most one indexed column besides at: instance, outcome or
-- resource_id.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    instance      text COLLATE "C" NOT NULL,
    client        text    NOT NULL,
    request_id    text    NOT NULL,
    operation     text    NOT NULL,
    resource_type text    NOT NULL,
    resource_id   text COLLATE "C" NOT NULL,
    status        integer NOT NULL,
    outcome       text COLLATE "C" NOT NULL,
    duration_us   bigint  NOT NULL,
    calls         json
);

CREATE INDEX audit_log_time ON audit_log (at, id);
CREATE INDEX audit_log_instance ON audit_log (instance, at, id);
CREATE INDEX audit_log_outcome ON audit_log (outcome, at, id);
-- Most records of list and search operations have no resource id.
CREATE INDEX audit_log_resource ON audit_log (resource_id, at, id) WHERE resource_id <> '';
