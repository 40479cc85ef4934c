package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimconnect/scimconnect/store"
)

// seedForPlans fills db with enough rows, spread over instances, for the
// planner's choices to be the ones a real directory gets, then ANALYZEs.
func seedForPlans(t *testing.T, db *DB) {
	t.Helper()
	// Directories big enough that reading a whole instance, or a whole
	// group, costs the planner what it costs in production.
	const instances, users, groups = 4, 3000, 30
	for in := range instances {
		inst := fmt.Sprintf("i%d", in)
		mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, &store.Instance{Name: inst, Type: "local", Created: time.Now(), Modified: time.Now()}); err != nil {
				return err
			}
			for u := range users {
				r := user(inst, fmt.Sprintf("u%d", u), fmt.Sprintf("user%d", u))
				r.ExternalID, r.DisplayName = fmt.Sprintf("ext%d", u), fmt.Sprintf("User %d", u)
				r.Emails = []string{fmt.Sprintf("user%d@example.com", u)}
				if err := tx.CreateResource(ctx, r); err != nil {
					return err
				}
			}
			// Each group has users/groups members; each user is in one.
			for g := range groups {
				gid := fmt.Sprintf("g%d", g)
				if err := tx.CreateResource(ctx, &store.Resource{Instance: inst, Type: "Group", ID: gid, DisplayName: "G" + gid, Created: time.Now(), Modified: time.Now()}); err != nil {
					return err
				}
				var ms []store.Member
				for u := g; u < users; u += groups {
					ms = append(ms, store.Member{ID: fmt.Sprintf("u%d", u), Type: "User"})
				}
				if err := tx.AddMembers(ctx, inst, gid, ms); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if _, err := db.pool.Exec(t.Context(), `ANALYZE`); err != nil {
		t.Fatalf("analyze: %v", err)
	}
}

// TestQueryPlans checks that no statement needs to scan a whole table, that each
// lookup the store.Tx contract promises uses its index, and that only
// statements returning a handful of rows sort them. Each statement is
// planned twice: with its arguments (the custom plans of the first runs)
// and as the generic plan PostgreSQL settles on for a cached statement.
func TestQueryPlans(t *testing.T) {
	db := openTest(t)
	seedForPlans(t, db)
	ids := []string{"u1", "u2", "g3"}
	now := time.Now()
	stmts := []struct {
		name    string
		sql     string
		args    []any
		mustUse []string // one of these indexes appears in the plan
		maySort bool     // may sort what it returns, or its input array
	}{
		{"GetInstance", sqlGetInstance, []any{"i1"}, []string{"instances_pkey"}, false},
		{"UpdateInstance", sqlUpdateInstance, []any{"i1", "local", "1", []byte{}, []byte{}, now}, []string{"instances_pkey"}, false},
		{"DeleteInstance", sqlDeleteInstance, []any{"i1"}, []string{"instances_pkey"}, false},
		{"GetSetting", sqlGetSetting, []any{"k"}, []string{"settings_pkey"}, false},
		{"GetResource", sqlGetResource, []any{"i1", "u1", "User"}, []string{"resources_pkey"}, false},
		{"FindByUserName", sqlFindByUserName, []any{"i1", "User", "user1"}, []string{"resources_user_name"}, true},
		{"FindByExternalID", sqlFindByExternalID, []any{"i1", "User", "ext1"}, []string{"resources_external_id"}, false},
		{"FindByDisplayName", sqlFindByDisplayName, []any{"i1", "User", "user 1"}, []string{"resources_display_name"}, false},
		{"FindByEmail", sqlFindByEmail, []any{"i1", "User", "user1@example.com"}, []string{"resource_emails_lookup"}, false},
		{"ListResources", sqlListResources, []any{"i1", "User", int64(100), int64(50)}, []string{"resources_list"}, false},
		{"CountResources", sqlCountResources, []any{"i1", "User"}, []string{"resource_counts_pkey"}, false},
		{"PutResource", sqlPutResource, []any{"i1", "u1", "User", int64(0), now, []byte{}, "x", "x", "", "", "", []string{}, []string{}},
			[]string{"resources_pkey"}, false},
		{"ResourceVersion", sqlResourceVersion, []any{"i1", "u1", "User"}, []string{"resources_pkey"}, false},
		{"DeleteResource", sqlDeleteResource, []any{"i1", "u1", "User", int64(0)}, []string{"resources_pkey"}, false},
		{"TouchResources", sqlTouchResources, []any{"i1", ids, now}, []string{"resources_pkey"}, false},
		{"TypesOf", sqlTypesOf, []any{"i1", ids}, []string{"resources_pkey"}, false},
		// Sorts the group's rows by when they were added: the sort is
		// over what it returns, never over the instance.
		{"Members", sqlMembers, []any{"i1", "g1"}, []string{"memberships_pkey"}, true},
		{"HasMember", sqlHasMember, []any{"i1", "g1", "u1"}, []string{"memberships_pkey", "memberships_member"}, false},
		{"GroupsOf", sqlGroupsOf, []any{"i1", "u1"}, []string{"memberships_member"}, true},
		{"GroupsOfMany", sqlGroupsOfMany, []any{"i1", ids}, []string{"memberships_member"}, true},
		{"AddMembers", sqlAddMembers, []any{"i1", "g1", ids, []string{"User", "User", "Group"}}, []string{"resources_pkey"}, true},
		{"RemoveMembers", sqlRemoveMembers, []any{"i1", "g1", ids}, []string{"memberships_pkey", "memberships_member"}, false},
		{"RemoveAllMembers", sqlRemoveAllMembers, []any{"i1", "g1"}, []string{"memberships_pkey"}, false},
		// What the triggers run.
		{"trigger: emails of a resource", `DELETE FROM resource_emails WHERE instance = $1 AND id = $2`, []any{"i1", "u1"}, []string{"resource_emails_pkey"}, false},
	}
	for _, mode := range []string{"custom", "generic"} {
		t.Run(mode, func(t *testing.T) {
			for _, st := range stmts {
				t.Run(st.name, func(t *testing.T) {
					plan := explain(t, db, mode, st.sql, st.args)
					t.Logf("%s\n%s", strings.Join(strings.Fields(st.sql), " "), plan)
					if strings.Contains(plan, "Seq Scan") {
						t.Errorf("plan scans a table:\n%s", plan)
					}
					if !st.maySort && strings.Contains(plan, "Sort") {
						t.Errorf("plan sorts:\n%s", plan)
					}
					used := len(st.mustUse) == 0
					for _, idx := range st.mustUse {
						used = used || strings.Contains(plan, idx)
					}
					if !used {
						t.Errorf("plan uses none of %q:\n%s", st.mustUse, plan)
					}
				})
			}
		})
	}
}

// explain returns the plan of sql, without running it, with sequential
// scans disabled: small tables (instances, settings, a test's few
// counters) are read faster whole, and the planner rightly says so; with
// seq scans priced out, a Seq Scan left means no index fits the statement.
// "custom" plans with the values of args, as PostgreSQL does for the first
// runs of a cached statement; "generic" shows the plan without values it
// may settle on after that (args only give the parameter count).
func explain(t *testing.T, db *DB, mode, sql string, args []any) string {
	t.Helper()
	ctx := t.Context()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // EXPLAIN changed nothing
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatalf("disable seq scans: %v", err)
	}
	var rows pgx.Rows
	switch mode {
	case "custom":
		rows, err = tx.Query(ctx, "EXPLAIN "+sql, args...)
	case "generic":
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			t.Fatalf("force generic plans: %v", err)
		}
		sd, err := conn.Conn().Prepare(ctx, "plan_probe", sql)
		if err != nil {
			t.Fatalf("prepare %q: %v", sql, err)
		}
		defer func() { _ = conn.Conn().Deallocate(context.WithoutCancel(ctx), sd.Name) }()
		nulls := strings.TrimSuffix(strings.Repeat("NULL, ", len(args)), ", ")
		rows, err = tx.Query(ctx, "EXPLAIN EXECUTE plan_probe("+nulls+")")
	default:
		t.Fatalf("unknown plan mode %q", mode)
	}
	if err != nil {
		t.Fatalf("explain %q: %v", sql, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("explain %q: %v", sql, err)
	}
	return strings.Join(lines, "\n")
}
