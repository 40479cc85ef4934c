-- 0005_count_delete_cannot_abort: the count trigger of deletes can no
-- longer abort its statement, so a DELETE of a resource needs no statement
-- journal. SQLite keeps one for every statement that writes more than one
-- table (here through the triggers) and may abort half-way; the NOT NULL
-- check on resource_counts.n, with its default ABORT, was the only thing
-- in a delete that could abort. The journal copied every page the delete
-- first touched into memory, about a fifth of the statement's cost.
-- n - 1 is never NULL and the key is not updated, so OR IGNORE changes no
-- outcome.
DROP TRIGGER resources_count_delete;
CREATE TRIGGER resources_count_delete AFTER DELETE ON resources
BEGIN
    UPDATE OR IGNORE resource_counts SET n = n - 1 WHERE instance = OLD.instance AND type = OLD.type;
END;
