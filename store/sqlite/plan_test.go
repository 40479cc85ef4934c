package sqlite

import (
	"strings"
	"testing"
)

// TestQueryPlans checks that no statement scans a whole table, that the
// statements whose cost must not grow with a group use their index, and
// that only statements returning a handful of rows sort them.
func TestQueryPlans(t *testing.T) {
	// Each listed statement must use one of the given indexes.
	mustUse := map[stmtID][]string{
		stmtMembers:        {"memberships_order"},
		stmtGroupsOf:       {"memberships_member"},
		stmtHasMember:      {"(instance=? AND group_id=? AND member_id=?)"},
		stmtRemoveMember:   {"(instance=? AND group_id=? AND member_id=?)", "(instance=? AND member_id=? AND group_id=?)"},
		stmtTypesOf:        {"(instance=? AND id=?)"},
		stmtGroupsOfMany:   {"memberships_member"},
		stmtTouchResource:  {"(instance=? AND id=?)"},
		stmtGetResource:    {"(instance=? AND id=?)"},
		stmtListResources:  {"resources_list (instance=? AND type=? AND seq>?)"},
		stmtFindByUserName: {"resources_user_name"},
		stmtFindByEmail:    {"resource_emails_lookup"},
	}
	maySort := map[stmtID]bool{stmtFindByEmail: true, stmtGroupsOf: true, stmtGroupsOfMany: true} // sorts the matches only
	_, path := openTemp(t)
	raw := rawOpen(t, path)
	for id := stmtID(0); id < numStmts; id++ {
		q := stmtSQL[id]
		if strings.HasPrefix(q, "SAVEPOINT") || strings.HasPrefix(q, "ROLLBACK") || strings.HasPrefix(q, "RELEASE") {
			continue
		}
		rows, err := raw.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatalf("explain %q: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var a, b, c int
			var detail string
			if err := rows.Scan(&a, &b, &c, &detail); err != nil {
				t.Fatalf("scan plan: %v", err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("plan rows: %v", err)
		}
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
