-- 0003_delete_memberships: deleting a resource deletes its memberships,
-- as a group and as a member, in the same statement. DeleteResource is
-- then one statement instead of three: each statement costs a round trip
-- through database/sql and the driver, which is most of a small delete's
-- cost. Each DELETE below probes one index (memberships' unique key and
-- memberships_member).
CREATE TRIGGER resources_delete_memberships AFTER DELETE ON resources
BEGIN
    DELETE FROM memberships WHERE instance = OLD.instance AND group_id = OLD.id;
    DELETE FROM memberships WHERE instance = OLD.instance AND member_id = OLD.id;
END;
