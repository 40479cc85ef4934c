-- 0006_group_name_unique: a Group's displayName is unique in its
-- instance, case-insensitively, so that a client retrying a create whose
-- answer it lost gets 409 instead of making a second group. Clients match
-- groups on displayName (Entra ID, Okta and One Identity Manager look a
-- group up by it before creating it), so two groups of one name would be
-- one group to them anyway.
--
-- The claim is a column of its own, set for names given from now on.
-- Databases written before may hold groups sharing a name: the oldest of
-- each such set claims it, the others keep their name unclaimed until it
-- changes. A unique index on display_name_lower itself would refuse to
-- build on such a database and leave the binary unable to open it.
ALTER TABLE resources ADD COLUMN group_name_key TEXT;
UPDATE resources SET group_name_key = display_name_lower
    WHERE type = 'Group' AND display_name_lower <> ''
    AND seq = (SELECT MIN(g.seq) FROM resources g WHERE g.instance = resources.instance
        AND g.type = 'Group' AND g.display_name_lower = resources.display_name_lower);
CREATE UNIQUE INDEX resources_group_name
    ON resources (instance, group_name_key) WHERE group_name_key IS NOT NULL;
