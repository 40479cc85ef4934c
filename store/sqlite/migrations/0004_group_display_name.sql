-- 0004_group_display_name: index displayName for groups only. Clients
-- look groups up by displayName (Entra ID and Okta match groups on it);
-- users they look up by userName, externalId or email. A user's
-- displayName changes often (Entra sends it on most PATCHes), and every
-- change rewrote an index page that the commit then appended to the WAL:
-- about half the pages a typical user PATCH writes. A displayName lookup
-- among users now walks the instance's users (resources_list) instead.
DROP INDEX resources_display_name;
CREATE INDEX resources_group_display_name
    ON resources (instance, display_name_lower) WHERE type = 'Group' AND display_name_lower <> '';
