-- 0002_audit: the audit log of SCIM operations (store.AuditLog).
--
-- Records are kept in segments, one row per batch of up to 512 records
-- appended together, rather than one row per record: an indexed row per
-- record cost the single writer several times the work of the SCIM
-- request it audits, since every row and index entry is its own b-tree
-- insert and its own bytes in the WAL. A segment's data is the records
-- in a compact encoding (see audit_segment.go); the other columns are a
-- summary that lets a query skip segments that cannot match:
--
--   at_min, at_max  the range of the records' times (Unix microseconds)
--   instances,      every distinct instance and outcome in the segment,
--   outcomes        each between two 0x1F bytes
--   resources       a Bloom filter of the resource ids
--   n, next         the number of records and the index the next
--                   appended record gets (a record's id is the segment's
--                   id × 1024 + its index, stable when pruning rewrites
--                   the segment)
--
-- Summaries only prefilter: a query decodes the segments that pass and
-- filters every record exactly.
CREATE TABLE audit_segments (
    id        INTEGER PRIMARY KEY,
    at_min    INTEGER NOT NULL,
    at_max    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    next      INTEGER NOT NULL,
    instances TEXT    NOT NULL,
    outcomes  TEXT    NOT NULL,
    resources BLOB    NOT NULL,
    data      BLOB    NOT NULL
);

-- Queries walk segments newest first; pruning, oldest first.
CREATE INDEX audit_segments_max ON audit_segments (at_max);
CREATE INDEX audit_segments_min ON audit_segments (at_min);
