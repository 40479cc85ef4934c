package sqlite

import (
	"database/sql"
	"regexp"
	"strings"
	"testing"
)

// queryPlan is the detail column of SQLite's EXPLAIN QUERY PLAN of q.
func queryPlan(t *testing.T, raw *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := raw.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %q: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var a, b, c int
		var detail string
		if err := rows.Scan(&a, &b, &c, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("plan rows: %v", err)
	}
	return plan
}

// TestQueryPlans checks that no statement scans a whole table, that the
// statements whose cost must not grow with a group use their index, and
// that only statements returning a handful of rows sort them.
func TestQueryPlans(t *testing.T) {
	// Each listed statement must use one of the given indexes.
	mustUse := map[stmtID][]string{
		stmtMembers:                {"memberships_order"},
		stmtGroupsOf:               {"memberships_member"},
		stmtHasMember:              {"(instance=? AND group_id=? AND member_id=?)"},
		stmtRemoveMember:           {"(instance=? AND group_id=? AND member_id=?)", "(instance=? AND member_id=? AND group_id=?)"},
		stmtTypesOf:                {"(instance=? AND id=?)"},
		stmtGroupsOfMany:           {"memberships_member"},
		stmtTouchResource:          {"(instance=? AND id=?)"},
		stmtGetResource:            {"(instance=? AND id=?)"},
		stmtListResources:          {"resources_list (instance=? AND type=? AND seq>?)"},
		stmtFindByUserName:         {"resources_user_name"},
		stmtFindByEmail:            {"resource_emails_lookup"},
		stmtFindGroupByDisplayName: {"resources_group_display_name"},
	}
	maySort := map[stmtID]bool{stmtFindByEmail: true, stmtGroupsOf: true, stmtGroupsOfMany: true} // sorts the matches only
	_, path := openTemp(t)
	raw := rawOpen(t, path)
	for id := stmtID(0); id < numStmts; id++ {
		q := stmtSQL[id]
		if strings.HasPrefix(q, "SAVEPOINT") || strings.HasPrefix(q, "ROLLBACK") || strings.HasPrefix(q, "RELEASE") {
			continue
		}
		plan := queryPlan(t, raw, q, make([]any, strings.Count(q, "?"))...)
		joined := strings.Join(plan, "\n    ")
		t.Logf("%s\n    %s", strings.Join(strings.Fields(q), " "), joined)
		for _, step := range plan {
			// Walking the JSON array of ids a batch statement is given is
			// not a table scan.
			argList := strings.Contains(step, "VIRTUAL TABLE")
			full := strings.HasPrefix(step, "SCAN ") && id != stmtListInstances && !argList
			if full || (strings.Contains(step, "TEMP B-TREE") && !maySort[id]) {
				t.Errorf("statement %q: plan step %q", q, step)
			}
		}
		if wants, ok := mustUse[id]; ok {
			used := false
			for _, w := range wants {
				used = used || strings.Contains(joined, w)
			}
			if !used {
				t.Errorf("statement %q: plan %q uses none of %q", q, joined, wants)
			}
		}
	}
}

// TestTriggerPlans checks that the statements the schema's triggers run
// for every inserted or deleted row (resource counts, a deleted
// resource's memberships) use an index rather than scan a table.
func TestTriggerPlans(t *testing.T) {
	_, path := openTemp(t)
	raw := rawOpen(t, path)
	rows, err := raw.QueryContext(t.Context(), `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(sql, "BEGIN")
		body, _, _ = strings.Cut(body, "END")
		bodies[name] = body
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := bodies["resources_delete_memberships"]; !ok {
		t.Fatalf("trigger resources_delete_memberships missing; triggers: %v", bodies)
	}
	oldNew := regexp.MustCompile(`\b(OLD|NEW)\.\w+`)
	for name, body := range bodies {
		for _, q := range strings.Split(body, ";") {
			if q = strings.TrimSpace(q); q == "" {
				continue
			}
			q = oldNew.ReplaceAllString(q, "?")
			plan, err := raw.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
			if err != nil {
				t.Fatalf("trigger %s: explain %q: %v", name, q, err)
			}
			for plan.Next() {
				var a, b, c int
				var detail string
				if err := plan.Scan(&a, &b, &c, &detail); err != nil {
					t.Fatal(err)
				}
				t.Logf("trigger %s: %s: %s", name, strings.Join(strings.Fields(q), " "), detail)
				if strings.HasPrefix(detail, "SCAN ") {
					t.Errorf("trigger %s: statement %q scans: %s", name, q, detail)
				}
			}
			if err := plan.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
