-- 0003_group_name_unique: a Group's displayName is unique in its
-- instance, case-insensitively, so that a client retrying a create whose
-- answer it lost gets 409 instead of making a second group. Clients match
-- groups on displayName (Entra ID, Okta and One Identity Manager look a
-- group up by it before creating it), so two groups of one name would be
-- one group to them anyway.
--
-- The claim is a column of its own, set for names given from now on.
-- Databases written before may hold groups sharing a name: the oldest of
-- each such set claims it, the others keep their name unclaimed until it
-- changes. A unique index on display_name_key itself would refuse to
-- build on such a database. As with userName, the unique index is what
-- makes two replicas creating the same name at once get one success and
-- one conflict.
ALTER TABLE resources ADD COLUMN group_name_key text COLLATE "C";
UPDATE resources r SET group_name_key = r.display_name_key
    WHERE r.type = 'Group' AND r.display_name_key <> ''
    AND r.seq = (SELECT min(g.seq) FROM resources g WHERE g.instance = r.instance
        AND g.type = 'Group' AND g.display_name_key = r.display_name_key);
CREATE UNIQUE INDEX resources_group_name
    ON resources (instance, group_name_key) WHERE group_name_key IS NOT NULL;
