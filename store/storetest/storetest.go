package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/store"
)

// Run runs the conformance suite against the stores newStore returns, one
// fresh store per subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Instances", testInstances},
		{"Settings", testSettings},
		{"ResourceCRUD", testResourceCRUD},
		{"ResourceConflicts", testResourceConflicts},
		{"ClearUserName", testClearUserName},
		{"GroupNameReuse", testGroupNameReuse},
		{"IfVersion", testIfVersion},
		{"ReplaceResource", testReplaceResource},
		{"DeleteIfVersion", testDeleteIfVersion},
		{"TouchResources", testTouchResources},
		{"TypesOf", testTypesOf},
		{"GroupsOfMany", testGroupsOfMany},
		{"FindResources", testFindResources},
		{"ListAndCount", testListAndCount},
		{"Memberships", testMemberships},
		{"DeleteResourceMemberships", testDeleteResourceMemberships},
		{"DeleteInstanceCascades", testDeleteInstanceCascades},
		{"UpdateRollbackOnError", testUpdateRollbackOnError},
		{"UpdateRollbackOnPanic", testUpdateRollbackOnPanic},
		{"UpdateCanceledContext", testUpdateCanceledContext},
		{"ViewRefusesWrites", testViewRefusesWrites},
		{"LargeMembership", testLargeMembership},
		{"Concurrency/SameUserName", testConcurrentSameUserName},
		{"Concurrency/SameGroupName", testConcurrentSameGroupName},
		{"Concurrency/DistinctCreates", testConcurrentDistinctCreates},
		{"Concurrency/MixedOutcomes", testConcurrentMixedOutcomes},
		{"Concurrency/ViewSnapshot", testConcurrentViewSnapshot},
		{"Concurrency/DeleteAndMemberAdd", testConcurrentDeleteAndMemberAdd},
		{"Audit", testAudit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// Helpers.

// cmpOpts compares byte slices by content, so nil and empty are equal:
// backends need not tell them apart.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) }),
}

// at returns a time with microsecond precision in a non-UTC zone, so tests
// check that backends keep the instant and return it in UTC.
func at(minute int) time.Time {
	return time.Date(2025, 3, 4, 5, minute, 7, 123456000, time.FixedZone("UTC+2", 2*3600))
}

func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// tryUpdate returns Update's error.
func tryUpdate(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

func user(instance, id, userName string) *store.Resource {
	return &store.Resource{
		Instance: instance, Type: "User", ID: id,
		Created: at(1), Modified: at(1),
		Data:     []byte(`{"userName":"` + userName + `"}`),
		UserName: userName,
	}
}

func group(instance, id, displayName string) *store.Resource {
	return &store.Resource{
		Instance: instance, Type: "Group", ID: id,
		Created: at(1), Modified: at(1),
		Data:        []byte(`{"displayName":"` + displayName + `"}`),
		DisplayName: displayName,
	}
}

func create(t *testing.T, s store.Store, rs ...*store.Resource) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rs {
			if err := tx.CreateResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func get(t *testing.T, s store.Store, instance, typ, id string) (*store.Resource, error) {
	t.Helper()
	var r *store.Resource
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		r, err = tx.GetResource(t.Context(), instance, typ, id)
		return err
	})
	return r, err
}

func mustGet(t *testing.T, s store.Store, instance, typ, id string) *store.Resource {
	t.Helper()
	r, err := get(t, s, instance, typ, id)
	if err != nil {
		t.Fatalf("GetResource(%q, %q, %q): %v", instance, typ, id, err)
	}
	return r
}

func wantNotFound(t *testing.T, s store.Store, instance, typ, id string) {
	t.Helper()
	if _, err := get(t, s, instance, typ, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetResource(%q, %q, %q) = %v, want ErrNotFound", instance, typ, id, err)
	}
}

func checkUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for _, tm := range times {
		if tm.Location() != time.UTC {
			t.Errorf("%s: time %v is in %v, want UTC", what, tm, tm.Location())
		}
	}
}

func count(t *testing.T, s store.Store, instance, typ string) int {
	t.Helper()
	var n int
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.CountResources(ctx, instance, typ)
		return err
	})
	return n
}

func members(t *testing.T, s store.Store, instance, groupID string) []store.Member {
	t.Helper()
	var ms []store.Member
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		ms, err = tx.Members(ctx, instance, groupID)
		return err
	})
	return ms
}

func groupsOf(t *testing.T, s store.Store, instance, memberID string) []store.GroupRef {
	t.Helper()
	var gs []store.GroupRef
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		gs, err = tx.GroupsOf(ctx, instance, memberID)
		return err
	})
	return gs
}

func find(t *testing.T, s store.Store, instance, typ string, key store.Key, value string) []*store.Resource {
	t.Helper()
	var rs []*store.Resource
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		rs, err = tx.FindResources(ctx, instance, typ, key, value)
		return err
	})
	return rs
}

func ids(rs []*store.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func memberIDs(ms []store.Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// Instances and settings.

func testInstances(t *testing.T, s store.Store) {
	ctx := t.Context()
	mk := func(name string) *store.Instance {
		return &store.Instance{
			Name: name, Type: "local", Version: "1.2.3",
			Config:    []byte(`{"name":"` + name + `"}`),
			TokenHash: bytes.Repeat([]byte{0xab, 0x00}, 16),
			Created:   at(1), Modified: at(2),
		}
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, n := range []string{"b", "a", "c"} {
			if err := tx.CreateInstance(ctx, mk(n)); err != nil {
				return err
			}
		}
		return nil
	})

	var got *store.Instance
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetInstance(ctx, "a")
		return err
	})
	if diff := cmp.Diff(mk("a"), got, cmpOpts); diff != "" {
		t.Errorf("GetInstance(a) mismatch (-want +got):\n%s", diff)
	}
	checkUTC(t, "GetInstance", got.Created, got.Modified)

	var list []*store.Instance
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.ListInstances(ctx)
		return err
	})
	want := []*store.Instance{mk("a"), mk("b"), mk("c")}
	if diff := cmp.Diff(want, list, cmpOpts); diff != "" {
		t.Errorf("ListInstances mismatch (-want +got):\n%s", diff)
	}

	changed := mk("a")
	changed.Type, changed.Version, changed.Config, changed.TokenHash = "other", "2.0.0", []byte(`{}`), []byte{1}
	changed.Modified = at(9)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateInstance(ctx, changed) })
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GetInstance(ctx, "a")
		return err
	})
	if diff := cmp.Diff(changed, got, cmpOpts); diff != "" {
		t.Errorf("GetInstance after UpdateInstance mismatch (-want +got):\n%s", diff)
	}

	errCases := []struct {
		name string
		fn   func(tx store.Tx) error
		want error
	}{
		{"create existing", func(tx store.Tx) error { return tx.CreateInstance(ctx, mk("b")) }, store.ErrConflict},
		{"update missing", func(tx store.Tx) error { return tx.UpdateInstance(ctx, mk("zz")) }, store.ErrNotFound},
		{"delete missing", func(tx store.Tx) error { return tx.DeleteInstance(ctx, "zz") }, store.ErrNotFound},
		{"get missing", func(tx store.Tx) error { _, err := tx.GetInstance(ctx, "zz"); return err }, store.ErrNotFound},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(ctx, tc.fn); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, "b") })
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetInstance(b) after delete = %v, want ErrNotFound", err)
		}
		list, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		var names []string
		for _, in := range list {
			names = append(names, in.Name)
		}
		if diff := cmp.Diff([]string{"a", "c"}, names); diff != "" {
			t.Errorf("ListInstances after delete mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
}

func testSettings(t *testing.T, s store.Store) {
	getSetting := func(key string) ([]byte, error) {
		var v []byte
		err := s.View(t.Context(), func(tx store.Tx) error {
			var err error
			v, err = tx.GetSetting(t.Context(), key)
			return err
		})
		return v, err
	}
	if _, err := getSetting("k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSetting(missing) = %v, want ErrNotFound", err)
	}
	steps := []struct {
		name  string
		value []byte
	}{
		{"insert", []byte("one")},
		{"overwrite", []byte{0, 1, 2, 0xff}},
		{"overwrite again", []byte(`{"x":1}`)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutSetting(ctx, "k", st.value) })
			got, err := getSetting("k")
			if err != nil {
				t.Fatalf("GetSetting: %v", err)
			}
			if !bytes.Equal(got, st.value) {
				t.Errorf("GetSetting = %q, want %q", got, st.value)
			}
		})
	}
	if _, err := getSetting("K"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSetting(K) = %v, want ErrNotFound (keys are case-sensitive)", err)
	}
}

// Resources.

func testResourceCRUD(t *testing.T, s store.Store) {
	r := &store.Resource{
		Instance: "i1", Type: "User", ID: "u1",
		Version: 7, // ignored: a new resource has version 1
		Created: at(1), Modified: at(2),
		Data:        []byte(`{"userName":"Alice","name":{"givenName":"Alice"}}`),
		UserName:    "Alice",
		ExternalID:  "ext-1",
		DisplayName: "Alice A",
		Emails:      []string{"Alice@Example.com", "alice@work.example"},
	}
	create(t, s, r)
	if r.Seq <= 0 || r.Version != 1 {
		t.Fatalf("after CreateResource Seq=%d Version=%d, want Seq>0 Version=1", r.Seq, r.Version)
	}
	want := *r
	got := mustGet(t, s, "i1", "User", "u1")
	if diff := cmp.Diff(&want, got, cmpOpts); diff != "" {
		t.Errorf("GetResource mismatch (-want +got):\n%s", diff)
	}
	checkUTC(t, "GetResource", got.Created, got.Modified)

	put := &store.Resource{
		Instance: "i1", Type: "User", ID: "u1",
		Created: at(30), Modified: at(3), // Created is not replaced: meta.created never changes
		Data:     []byte(`{"userName":"alice2"}`),
		UserName: "alice2", ExternalID: "", DisplayName: "",
		Emails: []string{"new@example.com"},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutResource(ctx, put, 0) })
	if put.Version != 2 || put.Seq != r.Seq || !put.Created.Equal(r.Created) {
		t.Errorf("after PutResource Version=%d Seq=%d Created=%v, want 2, %d, %v", put.Version, put.Seq, put.Created, r.Seq, r.Created)
	}
	want = store.Resource{
		Instance: "i1", Type: "User", ID: "u1", Seq: r.Seq, Version: 2,
		Created: at(1), Modified: at(3),
		Data:     []byte(`{"userName":"alice2"}`),
		UserName: "alice2",
		Emails:   []string{"new@example.com"},
	}
	got = mustGet(t, s, "i1", "User", "u1")
	if diff := cmp.Diff(&want, got, cmpOpts); diff != "" {
		t.Errorf("GetResource after Put mismatch (-want +got):\n%s", diff)
	}
	checkUTC(t, "GetResource after Put", got.Created, got.Modified)
	if rs := find(t, s, "i1", "User", store.KeyEmail, "alice@example.com"); len(rs) != 0 {
		t.Errorf("old email still finds %v after Put", ids(rs))
	}
	if rs := find(t, s, "i1", "User", store.KeyExternalID, "ext-1"); len(rs) != 0 {
		t.Errorf("old externalId still finds %v after Put", ids(rs))
	}

	ctx := t.Context()
	lookups := []struct {
		name, instance, typ, id string
	}{
		{"other type", "i1", "Group", "u1"},
		{"other instance", "i2", "User", "u1"},
		{"other id", "i1", "User", "u2"},
	}
	for _, tc := range lookups {
		t.Run("get "+tc.name, func(t *testing.T) { wantNotFound(t, s, tc.instance, tc.typ, tc.id) })
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i1", "User", "u1", 0) })
	wantNotFound(t, s, "i1", "User", "u1")
	errCases := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"delete missing", func(tx store.Tx) error { return tx.DeleteResource(ctx, "i1", "User", "u1", 0) }},
		{"put missing", func(tx store.Tx) error { return tx.PutResource(ctx, user("i1", "u1", "x"), 0) }},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(ctx, tc.fn); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		})
	}
}

func testResourceConflicts(t *testing.T, s store.Store) {
	cases := []struct {
		name     string
		existing []*store.Resource
		attempt  func(ctx context.Context, tx store.Tx, instance string) error
		want     error // nil: the attempt succeeds
	}{
		{
			name:     "duplicate id",
			existing: []*store.Resource{user("", "x", "a")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, user(in, "x", "b"))
			},
			want: store.ErrConflict,
		},
		{
			name:     "duplicate id across types",
			existing: []*store.Resource{user("", "x", "a")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, group(in, "x", "g"))
			},
			want: store.ErrConflict,
		},
		{
			name:     "same id in another instance",
			existing: []*store.Resource{user("", "x", "a")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, user(in+"-other", "x", "a"))
			},
		},
		{
			name:     "userName differing only in case",
			existing: []*store.Resource{user("", "u1", "Bjensen")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, user(in, "u2", "bJENSEN"))
			},
			want: store.ErrConflict,
		},
		{
			name:     "same userName in another instance",
			existing: []*store.Resource{user("", "u1", "bjensen")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, user(in+"-other", "u2", "bjensen"))
			},
		},
		{
			name:     "same userName on another type",
			existing: []*store.Resource{user("", "u1", "bjensen")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				g := group(in, "g1", "x")
				g.UserName = "bjensen"
				return tx.CreateResource(ctx, g)
			},
		},
		{
			name:     "put taking another userName",
			existing: []*store.Resource{user("", "u1", "bjensen"), user("", "u2", "other")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.PutResource(ctx, user(in, "u2", "BJensen"), 0)
			},
			want: store.ErrConflict,
		},
		{
			name:     "put changing the case of its own userName",
			existing: []*store.Resource{user("", "u1", "bjensen")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.PutResource(ctx, user(in, "u1", "BJENSEN"), 0)
			},
		},
		{
			name:     "two resources without userName",
			existing: []*store.Resource{user("", "u1", "")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, user(in, "u2", ""))
			},
		},
		{
			name:     "group displayName differing only in case",
			existing: []*store.Resource{group("", "g1", "Sales Team")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, group(in, "g2", "SALES team"))
			},
			want: store.ErrConflict,
		},
		{
			name:     "put renaming a group to another's displayName",
			existing: []*store.Resource{group("", "g1", "Sales"), group("", "g2", "Ops")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.PutResource(ctx, group(in, "g2", "sales"), 0)
			},
			want: store.ErrConflict,
		},
		{
			name:     "replace renaming a group to another's displayName",
			existing: []*store.Resource{group("", "g1", "Sales"), group("", "g2", "Ops")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				prev, err := tx.GetResource(ctx, in, "Group", "g2")
				if err != nil {
					return err
				}
				return tx.ReplaceResource(ctx, group(in, "g2", "SALES"), prev)
			},
			want: store.ErrConflict,
		},
		{
			name:     "put changing the case of its own group displayName",
			existing: []*store.Resource{group("", "g1", "Sales")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.PutResource(ctx, group(in, "g1", "SALES"), 0)
			},
		},
		{
			name:     "same group displayName in another instance",
			existing: []*store.Resource{group("", "g1", "Sales")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, group(in+"-other", "g2", "Sales"))
			},
		},
		{
			name:     "a user's displayName equal to a group's",
			existing: []*store.Resource{group("", "g1", "Sales"), user("", "u1", "a")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				u := user(in, "u2", "b")
				u.DisplayName = "Sales"
				if err := tx.CreateResource(ctx, u); err != nil {
					return err
				}
				u1 := user(in, "u1", "a")
				u1.DisplayName = "sales"
				return tx.PutResource(ctx, u1, 0)
			},
		},
		{
			name:     "two groups without displayName",
			existing: []*store.Resource{group("", "g1", "")},
			attempt: func(ctx context.Context, tx store.Tx, in string) error {
				return tx.CreateResource(ctx, group(in, "g2", ""))
			},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := fmt.Sprintf("conflict-%d", i)
			for _, r := range tc.existing {
				r.Instance = in
			}
			create(t, s, tc.existing...)
			before := map[string]*store.Resource{}
			for _, r := range tc.existing {
				before[r.ID] = mustGet(t, s, in, r.Type, r.ID)
			}
			err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error { return tc.attempt(ctx, tx, in) })
			if tc.want == nil {
				if err != nil {
					t.Fatalf("attempt: %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("attempt: %v, want %v", err, tc.want)
			}
			for _, r := range tc.existing {
				if diff := cmp.Diff(before[r.ID], mustGet(t, s, in, r.Type, r.ID), cmpOpts); diff != "" {
					t.Errorf("%s changed by the failed attempt (-before +after):\n%s", r.ID, diff)
				}
			}
			if n := count(t, s, in, "User") + count(t, s, in, "Group"); n != len(tc.existing) {
				t.Errorf("%d resources after the failed attempt, want %d", n, len(tc.existing))
			}
		})
	}
}

func testClearUserName(t *testing.T, s store.Store) {
	create(t, s, user("i", "u1", "alice"))
	cleared := user("i", "u1", "")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutResource(ctx, cleared, 0) })
	if got := mustGet(t, s, "i", "User", "u1"); got.UserName != "" {
		t.Errorf("UserName = %q after clearing", got.UserName)
	}
	if rs := find(t, s, "i", "User", store.KeyUserName, "alice"); len(rs) != 0 {
		t.Errorf("cleared userName still finds %v", ids(rs))
	}
	create(t, s, user("i", "u2", "ALICE"), user("i", "u3", ""))
	if got := ids(find(t, s, "i", "User", store.KeyUserName, "alice")); !cmp.Equal(got, []string{"u2"}) {
		t.Errorf("find alice = %v, want [u2]", got)
	}
}

// testGroupNameReuse checks that a group's displayName is free again
// once the group is renamed or deleted.
func testGroupNameReuse(t *testing.T, s store.Store) {
	create(t, s, group("i", "g1", "Sales"))
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutResource(ctx, group("i", "g1", "Ops"), 0) })
	create(t, s, group("i", "g2", "sales"))
	if err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateResource(ctx, group("i", "g3", "OPS"))
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("create taking the renamed group's new name = %v, want ErrConflict", err)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "Group", "g2", 0) })
	create(t, s, group("i", "g3", "SALES"))
	if got := ids(find(t, s, "i", "Group", store.KeyDisplayName, "sales")); !cmp.Equal(got, []string{"g3"}) {
		t.Errorf("find sales = %v, want [g3]", got)
	}
}

func testIfVersion(t *testing.T, s store.Store) {
	create(t, s, user("i", "u1", "a"))
	steps := []struct {
		name        string
		ifVersion   int64
		want        error
		wantVersion int64 // stored version afterwards
	}{
		{"matching", 1, nil, 2},
		{"stale", 1, store.ErrVersionMismatch, 2},
		{"ahead", 5, store.ErrVersionMismatch, 2},
		{"unconditional", 0, nil, 3},
		{"matching again", 3, nil, 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := mustGet(t, s, "i", "User", "u1")
			r := user("i", "u1", "a")
			r.Data = []byte(st.name)
			err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutResource(ctx, r, st.ifVersion) })
			if !errors.Is(err, st.want) || (st.want == nil && err != nil) {
				t.Fatalf("PutResource(ifVersion=%d) = %v, want %v", st.ifVersion, err, st.want)
			}
			got := mustGet(t, s, "i", "User", "u1")
			if got.Version != st.wantVersion {
				t.Errorf("stored version %d, want %d", got.Version, st.wantVersion)
			}
			if st.want == nil && (r.Version != st.wantVersion || string(got.Data) != st.name) {
				t.Errorf("r.Version=%d Data=%q, want %d %q", r.Version, got.Data, st.wantVersion, st.name)
			}
			if st.want != nil && !bytes.Equal(got.Data, before.Data) {
				t.Errorf("failed Put changed Data to %q", got.Data)
			}
		})
	}
}

// testReplaceResource: a replace from the stored pre-image writes like
// PutResource (keys re-indexed, Seq and Created kept), and one from a
// stale pre-image writes nothing.
func testReplaceResource(t *testing.T, s store.Store) {
	u := user("i", "u1", "alice")
	u.ExternalID, u.DisplayName, u.Emails = "x1", "Alice", []string{"alice@example.com"}
	create(t, s, u, user("i", "u2", "bob"))
	prev := mustGet(t, s, "i", "User", "u1")

	next := user("i", "u1", "alicia")
	next.ExternalID, next.DisplayName, next.Emails = "x2", "Alicia", []string{"alicia@example.com"}
	next.Modified = at(2)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.ReplaceResource(ctx, next, prev) })
	if next.Seq != prev.Seq || next.Version != prev.Version+1 || !next.Created.Equal(prev.Created) {
		t.Errorf("after replace r has Seq %d Version %d Created %v, want %d %d %v", next.Seq, next.Version, next.Created, prev.Seq, prev.Version+1, prev.Created)
	}
	got := mustGet(t, s, "i", "User", "u1")
	if got.Version != prev.Version+1 || got.UserName != "alicia" || got.ExternalID != "x2" || got.DisplayName != "Alicia" || !cmp.Equal(got.Emails, next.Emails) {
		t.Errorf("stored %+v, want the replacement at version %d", got, prev.Version+1)
	}
	for _, k := range []struct {
		key   store.Key
		value string
		want  []string
	}{
		{store.KeyUserName, "alice", []string{}},
		{store.KeyUserName, "ALICIA", []string{"u1"}},
		{store.KeyExternalID, "x1", []string{}},
		{store.KeyExternalID, "x2", []string{"u1"}},
		{store.KeyEmail, "alice@example.com", []string{}},
		{store.KeyEmail, "Alicia@Example.com", []string{"u1"}},
	} {
		if got := ids(find(t, s, "i", "User", k.key, k.value)); !cmp.Equal(got, k.want) {
			t.Errorf("find %v %q = %v, want %v", k.key, k.value, got, k.want)
		}
	}

	// prev is stale now.
	stale := user("i", "u1", "mallory")
	err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error { return tx.ReplaceResource(ctx, stale, prev) })
	if !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("ReplaceResource from a stale version = %v, want ErrVersionMismatch", err)
	}
	if got := mustGet(t, s, "i", "User", "u1"); got.UserName != "alicia" || got.Version != prev.Version+1 {
		t.Errorf("stale replace changed the resource: %+v", got)
	}

	// Taking another's userName is a conflict, as with PutResource.
	cur := mustGet(t, s, "i", "User", "u1")
	err = tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ReplaceResource(ctx, user("i", "u1", "BOB"), cur)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("ReplaceResource onto a taken userName = %v, want ErrConflict", err)
	}
}

// testDeleteIfVersion: a conditional delete deletes only the version it
// names, and tells a missing resource from another version.
func testDeleteIfVersion(t *testing.T, s store.Store) {
	create(t, s, user("i", "u1", "a"))
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutResource(ctx, user("i", "u1", "a"), 0) }) // version 2
	err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u1", 1) })
	if !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("DeleteResource(ifVersion=1) of version 2 = %v, want ErrVersionMismatch", err)
	}
	mustGet(t, s, "i", "User", "u1")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u1", 2) })
	wantNotFound(t, s, "i", "User", "u1")
	err = tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u1", 2) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteResource(ifVersion=2) of a deleted resource = %v, want ErrNotFound", err)
	}
}

func testFindResources(t *testing.T, s store.Store) {
	u1 := user("i", "u1", "Alice")
	u1.ExternalID, u1.DisplayName, u1.Emails = "EXT-1", "Alice Smith", []string{"Alice@Example.com", "a2@example.com"}
	u2 := user("i", "u2", "bob")
	u2.ExternalID, u2.DisplayName, u2.Emails = "ext-1", "ALICE SMITH", []string{"BOB@example.com", "shared@example.com"}
	u3 := user("i", "u3", "Ümit")
	u3.Emails = []string{"Shared@Example.COM", "shared@example.com"} // twice: found once
	g1 := group("i", "g1", "Alice Smith")
	g1.ExternalID = "EXT-1"
	other := user("j", "o1", "alice")
	other.ExternalID, other.DisplayName, other.Emails = "EXT-1", "Alice Smith", []string{"alice@example.com"}
	create(t, s, u1, u2, u3, g1, other)

	cases := []struct {
		name  string
		inst  string
		typ   string
		key   store.Key
		value string
		want  []string
	}{
		{"userName exact", "i", "User", store.KeyUserName, "Alice", []string{"u1"}},
		{"userName other case", "i", "User", store.KeyUserName, "aLICE", []string{"u1"}},
		{"userName non-ASCII case", "i", "User", store.KeyUserName, "ümit", []string{"u3"}},
		{"userName missing", "i", "User", store.KeyUserName, "carol", []string{}},
		{"userName other instance", "j", "User", store.KeyUserName, "ALICE", []string{"o1"}},
		{"externalId exact", "i", "User", store.KeyExternalID, "EXT-1", []string{"u1"}},
		{"externalId is case-sensitive", "i", "User", store.KeyExternalID, "ext-1", []string{"u2"}},
		{"externalId no match", "i", "User", store.KeyExternalID, "Ext-1", []string{}},
		{"externalId on groups", "i", "Group", store.KeyExternalID, "EXT-1", []string{"g1"}},
		{"displayName any case, by seq", "i", "User", store.KeyDisplayName, "alice smith", []string{"u1", "u2"}},
		{"displayName on groups", "i", "Group", store.KeyDisplayName, "ALICE SMITH", []string{"g1"}},
		{"email any case", "i", "User", store.KeyEmail, "alice@EXAMPLE.com", []string{"u1"}},
		{"email second of several", "i", "User", store.KeyEmail, "A2@example.com", []string{"u1"}},
		{"email shared, by seq", "i", "User", store.KeyEmail, "SHARED@example.com", []string{"u2", "u3"}},
		{"email on wrong type", "i", "Group", store.KeyEmail, "alice@example.com", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(find(t, s, tc.inst, tc.typ, tc.key, tc.value))); diff != "" {
				t.Errorf("FindResources(%q) mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}

	// Found resources are complete.
	got := find(t, s, "i", "User", store.KeyEmail, "bob@example.com")
	if diff := cmp.Diff([]*store.Resource{u2}, got, cmpOpts); diff != "" {
		t.Errorf("FindResources by email mismatch (-want +got):\n%s", diff)
	}
	for _, r := range got {
		checkUTC(t, "FindResources", r.Created, r.Modified)
	}
}

func testListAndCount(t *testing.T, s store.Store) {
	var want []string
	for i := range 25 {
		u := user("i", fmt.Sprintf("u%02d", i), fmt.Sprintf("user%02d", i))
		create(t, s, u)
		want = append(want, u.ID)
		if i%5 == 0 {
			create(t, s, group("i", fmt.Sprintf("g%02d", i), fmt.Sprintf("group%02d", i)), user("j", fmt.Sprintf("o%02d", i), "x"+u.UserName))
		}
	}
	counts := []struct {
		instance, typ string
		want          int
	}{
		{"i", "User", 25},
		{"i", "Group", 5},
		{"j", "User", 5},
		{"j", "Group", 0},
		{"none", "User", 0},
	}
	for _, c := range counts {
		if got := count(t, s, c.instance, c.typ); got != c.want {
			t.Errorf("CountResources(%q, %q) = %d, want %d", c.instance, c.typ, got, c.want)
		}
	}

	page := func(after int64, limit int) []*store.Resource {
		var rs []*store.Resource
		view(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			rs, err = tx.ListResources(ctx, "i", "User", after, limit)
			return err
		})
		return rs
	}
	var got []string
	var sizes []int
	var after int64
	for {
		rs := page(after, 10)
		if len(rs) == 0 {
			break
		}
		sizes = append(sizes, len(rs))
		for _, r := range rs {
			if r.Seq <= after {
				t.Fatalf("Seq %d of %s not after %d", r.Seq, r.ID, after)
			}
			if r.Type != "User" || r.Instance != "i" {
				t.Fatalf("listed %s/%s/%s", r.Instance, r.Type, r.ID)
			}
			after = r.Seq
			got = append(got, r.ID)
		}
		if len(sizes) > 10 {
			t.Fatal("paging does not end")
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged ids mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{10, 10, 5}, sizes); diff != "" {
		t.Errorf("page sizes mismatch (-want +got):\n%s", diff)
	}

	// Keyset paging is stable under writes: deleting a listed resource does
	// not shift the next page, and a new resource comes after all others.
	first := page(0, 10)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u03", 0) })
	create(t, s, user("i", "u99", "late"))
	second := page(first[len(first)-1].Seq, 10)
	if diff := cmp.Diff(want[10:20], ids(second)); diff != "" {
		t.Errorf("page after a delete mismatch (-want +got):\n%s", diff)
	}
	third := page(second[len(second)-1].Seq, 10)
	if diff := cmp.Diff(append(append([]string{}, want[20:]...), "u99"), ids(third)); diff != "" {
		t.Errorf("last page mismatch (-want +got):\n%s", diff)
	}
	if got := count(t, s, "i", "User"); got != 25 {
		t.Errorf("CountResources after delete and create = %d, want 25", got)
	}
}

// Memberships.

func testMemberships(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1 := user("i", "u1", "user1")
	u1.DisplayName = "User One"
	u2 := user("i", "u2", "user2") // no displayName: display falls back to userName
	gB := group("i", "gB", "Group B")
	gA := group("i", "gA", "Group A")
	create(t, s, u1, u2, gB, gA, group("j", "gA", "Other A"), user("j", "u1", "other1"))

	add := func(groupID string, ms ...store.Member) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddMembers(ctx, "i", groupID, ms) })
	}
	remove := func(groupID string, ids ...string) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveMembers(ctx, "i", groupID, ids) })
	}
	add("gA", store.Member{ID: "u2", Type: "User"}, store.Member{ID: "u1", Type: "User", Display: "ignored"}, store.Member{ID: "gB", Type: "Group"})
	add("gA", store.Member{ID: "u1", Type: "User"}, store.Member{ID: "ghost", Type: "User"}) // u1 again: no change
	add("gB", store.Member{ID: "u2", Type: "User"})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AddMembers(ctx, "j", "gA", []store.Member{{ID: "u1", Type: "User"}})
	})

	wantA := []store.Member{
		{ID: "u2", Type: "User", Display: "user2"},
		{ID: "u1", Type: "User", Display: "User One"},
		{ID: "gB", Type: "Group", Display: "Group B"},
		{ID: "ghost", Type: "User", Display: ""},
	}
	if diff := cmp.Diff(wantA, members(t, s, "i", "gA")); diff != "" {
		t.Errorf("Members(gA) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.Member{{ID: "u1", Type: "User", Display: "other1"}}, members(t, s, "j", "gA")); diff != "" {
		t.Errorf("Members(j/gA) mismatch (-want +got):\n%s", diff)
	}

	has := []struct {
		group, member string
		want          bool
	}{
		{"gA", "u1", true},
		{"gA", "gB", true},
		{"gA", "ghost", true},
		{"gB", "u1", false},
		{"gA", "nobody", false},
		{"nogroup", "u1", false},
	}
	for _, h := range has {
		view(t, s, func(ctx context.Context, tx store.Tx) error {
			got, err := tx.HasMember(ctx, "i", h.group, h.member)
			if err != nil {
				return err
			}
			if got != h.want {
				t.Errorf("HasMember(%s, %s) = %v, want %v", h.group, h.member, got, h.want)
			}
			return nil
		})
	}

	// Groups come in group Seq order (gB was created first), not in the
	// order the memberships were added.
	if diff := cmp.Diff([]store.GroupRef{{ID: "gB", Display: "Group B"}, {ID: "gA", Display: "Group A"}}, groupsOf(t, s, "i", "u2")); diff != "" {
		t.Errorf("GroupsOf(u2) mismatch (-want +got):\n%s", diff)
	}
	if got := groupsOf(t, s, "i", "nobody"); len(got) != 0 {
		t.Errorf("GroupsOf(nobody) = %v, want none", got)
	}

	remove("gA", "u1", "missing")
	if diff := cmp.Diff([]string{"u2", "gB", "ghost"}, memberIDs(members(t, s, "i", "gA"))); diff != "" {
		t.Errorf("Members(gA) after remove mismatch (-want +got):\n%s", diff)
	}
	add("gA", store.Member{ID: "u1", Type: "User"}) // re-added: now last
	if diff := cmp.Diff([]string{"u2", "gB", "ghost", "u1"}, memberIDs(members(t, s, "i", "gA"))); diff != "" {
		t.Errorf("Members(gA) after re-add mismatch (-want +got):\n%s", diff)
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveAllMembers(ctx, "i", "gA") })
	if got := members(t, s, "i", "gA"); len(got) != 0 {
		t.Errorf("Members(gA) after RemoveAllMembers = %v, want none", got)
	}
	if diff := cmp.Diff([]store.GroupRef{{ID: "gB", Display: "Group B"}}, groupsOf(t, s, "i", "u2")); diff != "" {
		t.Errorf("GroupsOf(u2) after RemoveAllMembers mismatch (-want +got):\n%s", diff)
	}
	if got := members(t, s, "j", "gA"); len(got) != 1 {
		t.Errorf("RemoveAllMembers in i touched j: Members(j/gA) = %v", got)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.RemoveMembers(ctx, "i", "gA", []string{"u1"}) }); err != nil {
		t.Errorf("RemoveMembers from an empty group: %v", err)
	}
}

func testDeleteResourceMemberships(t *testing.T, s store.Store) {
	create(t, s, user("i", "u1", "a"), user("i", "u2", "b"), group("i", "g1", "G1"), group("i", "g2", "G2"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddMembers(ctx, "i", "g1", []store.Member{{ID: "u1", Type: "User"}, {ID: "u2", Type: "User"}}); err != nil {
			return err
		}
		return tx.AddMembers(ctx, "i", "g2", []store.Member{{ID: "u1", Type: "User"}, {ID: "g1", Type: "Group"}})
	})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u1", 0) })
	if diff := cmp.Diff([]string{"u2"}, memberIDs(members(t, s, "i", "g1"))); diff != "" {
		t.Errorf("Members(g1) after deleting u1 mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"g1"}, memberIDs(members(t, s, "i", "g2"))); diff != "" {
		t.Errorf("Members(g2) after deleting u1 mismatch (-want +got):\n%s", diff)
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteResource(ctx, "i", "Group", "g1", 0) })
	if got := members(t, s, "i", "g2"); len(got) != 0 {
		t.Errorf("Members(g2) after deleting member group g1 = %v, want none", got)
	}
	if got := groupsOf(t, s, "i", "u2"); len(got) != 0 {
		t.Errorf("GroupsOf(u2) after deleting g1 = %v, want none", got)
	}
	if got := members(t, s, "i", "g1"); len(got) != 0 {
		t.Errorf("Members(deleted g1) = %v, want none", got)
	}

	// A new resource with a deleted one's id inherits nothing.
	create(t, s, user("i", "u1", "a"), group("i", "g1", "G1 again"))
	if got := groupsOf(t, s, "i", "u1"); len(got) != 0 {
		t.Errorf("GroupsOf(recreated u1) = %v, want none", got)
	}
	if got := members(t, s, "i", "g1"); len(got) != 0 {
		t.Errorf("Members(recreated g1) = %v, want none", got)
	}
}

func testDeleteInstanceCascades(t *testing.T, s store.Store) {
	populate := func(in string) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, &store.Instance{Name: in, Type: "local", Created: at(1), Modified: at(1)}); err != nil {
				return err
			}
			u := user(in, "u1", "alice")
			u.Emails, u.ExternalID, u.DisplayName = []string{"alice@example.com"}, "e1", "Alice"
			for _, r := range []*store.Resource{u, group(in, "g1", "G")} {
				if err := tx.CreateResource(ctx, r); err != nil {
					return err
				}
			}
			return tx.AddMembers(ctx, in, "g1", []store.Member{{ID: "u1", Type: "User"}})
		})
	}
	populate("A")
	populate("B")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, "A") })

	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, "A"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetInstance(A) = %v, want ErrNotFound", err)
		}
		return nil
	})
	checks := []struct {
		in        string
		wantCount int
		wantFound int
	}{
		{"A", 0, 0},
		{"B", 1, 1},
	}
	for _, c := range checks {
		t.Run(c.in, func(t *testing.T) {
			if got := count(t, s, c.in, "User") + count(t, s, c.in, "Group"); got != 2*c.wantCount {
				t.Errorf("resources = %d, want %d", got, 2*c.wantCount)
			}
			for _, k := range []struct {
				key   store.Key
				value string
			}{{store.KeyUserName, "alice"}, {store.KeyEmail, "alice@example.com"}, {store.KeyExternalID, "e1"}, {store.KeyDisplayName, "alice"}} {
				if got := find(t, s, c.in, "User", k.key, k.value); len(got) != c.wantFound {
					t.Errorf("FindResources(%v, %q) = %v, want %d", k.key, k.value, ids(got), c.wantFound)
				}
			}
			if got := members(t, s, c.in, "g1"); len(got) != c.wantFound {
				t.Errorf("Members(g1) = %v, want %d", got, c.wantFound)
			}
			if got := groupsOf(t, s, c.in, "u1"); len(got) != c.wantFound {
				t.Errorf("GroupsOf(u1) = %v, want %d", got, c.wantFound)
			}
		})
	}
	// The names are free again.
	populate("A")
	if got := members(t, s, "A", "g1"); len(got) != 1 {
		t.Errorf("Members(A/g1) after re-creating A = %v, want 1", got)
	}
	if got := count(t, s, "A", "User"); got != 1 {
		t.Errorf("CountResources(A, User) after re-creating A = %d, want 1", got)
	}
}

// Transactions.

var errAbort = errors.New("storetest: abort")

// writeEverything writes one of each kind of record.
func writeEverything(ctx context.Context, tx store.Tx) error {
	if err := tx.CreateInstance(ctx, &store.Instance{Name: "inst", Type: "local", Created: at(1), Modified: at(1)}); err != nil {
		return err
	}
	if err := tx.PutSetting(ctx, "setting", []byte("v")); err != nil {
		return err
	}
	for _, r := range []*store.Resource{user("inst", "u1", "alice"), group("inst", "g1", "G")} {
		if err := tx.CreateResource(ctx, r); err != nil {
			return err
		}
	}
	return tx.AddMembers(ctx, "inst", "g1", []store.Member{{ID: "u1", Type: "User"}})
}

// wantNothingWritten checks that writeEverything left no trace.
func wantNothingWritten(t *testing.T, s store.Store) {
	t.Helper()
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, "inst"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetInstance = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetSetting(ctx, "setting"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSetting = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetResource(ctx, "inst", "User", "u1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetResource = %v, want ErrNotFound", err)
		}
		ms, err := tx.Members(ctx, "inst", "g1")
		if err != nil {
			return err
		}
		if len(ms) != 0 {
			t.Errorf("Members = %v, want none", ms)
		}
		return nil
	})
}

func testUpdateRollbackOnError(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"fn error", func(ctx context.Context, tx store.Tx) error {
			if err := writeEverything(ctx, tx); err != nil {
				return err
			}
			return errAbort
		}, errAbort},
		{"write error returned", func(ctx context.Context, tx store.Tx) error {
			if err := writeEverything(ctx, tx); err != nil {
				return err
			}
			return tx.CreateResource(ctx, user("inst", "u2", "ALICE"))
		}, store.ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tryUpdate(t, s, tc.fn); !errors.Is(err, tc.want) {
				t.Fatalf("Update = %v, want %v", err, tc.want)
			}
			wantNothingWritten(t, s)
		})
	}
}

func testUpdateRollbackOnPanic(t *testing.T, s store.Store) {
	type boom struct{ n int }
	got := func() (p any) {
		defer func() { p = recover() }()
		_ = tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := writeEverything(ctx, tx); err != nil {
				t.Errorf("writeEverything: %v", err)
			}
			panic(boom{42})
		})
		return nil
	}()
	if got != (boom{42}) {
		t.Fatalf("recovered %v, want the panic value boom{42}", got)
	}
	wantNothingWritten(t, s)
	// The store still works.
	update(t, s, writeEverything)
	mustGet(t, s, "inst", "User", "u1")
}

func testUpdateCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context = %v, want context.Canceled", err)
	}
	wantNothingWritten(t, s)
}

func testViewRefusesWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, user("i", "u1", "a"), group("i", "g1", "G"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, &store.Instance{Name: "i", Type: "local", Created: at(1), Modified: at(1)}); err != nil {
			return err
		}
		return tx.AddMembers(ctx, "i", "g1", []store.Member{{ID: "u1", Type: "User"}})
	})
	writes := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"CreateInstance", func(tx store.Tx) error {
			return tx.CreateInstance(ctx, &store.Instance{Name: "new", Type: "local", Created: at(1), Modified: at(1)})
		}},
		{"UpdateInstance", func(tx store.Tx) error {
			return tx.UpdateInstance(ctx, &store.Instance{Name: "i", Type: "changed", Created: at(1), Modified: at(2)})
		}},
		{"DeleteInstance", func(tx store.Tx) error { return tx.DeleteInstance(ctx, "i") }},
		{"PutSetting", func(tx store.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) }},
		{"CreateResource", func(tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u2", "b")) }},
		{"PutResource", func(tx store.Tx) error { return tx.PutResource(ctx, user("i", "u1", "changed"), 0) }},
		{"ReplaceResource", func(tx store.Tx) error {
			prev, err := tx.GetResource(ctx, "i", "User", "u1")
			if err != nil {
				return err
			}
			return tx.ReplaceResource(ctx, user("i", "u1", "changed"), prev)
		}},
		{"DeleteResource", func(tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u1", 0) }},
		{"AddMembers", func(tx store.Tx) error {
			return tx.AddMembers(ctx, "i", "g1", []store.Member{{ID: "x", Type: "User"}})
		}},
		{"RemoveMembers", func(tx store.Tx) error { return tx.RemoveMembers(ctx, "i", "g1", []string{"u1"}) }},
		{"RemoveAllMembers", func(tx store.Tx) error { return tx.RemoveAllMembers(ctx, "i", "g1") }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			var writeErr error
			err := s.View(ctx, func(tx store.Tx) error {
				writeErr = w.fn(tx)
				return nil
			})
			if err != nil {
				t.Fatalf("View: %v", err)
			}
			if writeErr == nil {
				t.Errorf("%s in View succeeded, want an error", w.name)
			}
		})
	}
	// Nothing changed.
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		in, err := tx.GetInstance(ctx, "i")
		if err != nil {
			return err
		}
		if in.Type != "local" {
			t.Errorf("instance type = %q, want local", in.Type)
		}
		if _, err := tx.GetInstance(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetInstance(new) = %v, want ErrNotFound", err)
		}
		if _, err := tx.GetSetting(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSetting(k) = %v, want ErrNotFound", err)
		}
		r, err := tx.GetResource(ctx, "i", "User", "u1")
		if err != nil {
			return err
		}
		if r.UserName != "a" || r.Version != 1 {
			t.Errorf("u1 = %q v%d, want a v1", r.UserName, r.Version)
		}
		if _, err := tx.GetResource(ctx, "i", "User", "u2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetResource(u2) = %v, want ErrNotFound", err)
		}
		ms, err := tx.Members(ctx, "i", "g1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"u1"}, memberIDs(ms)); diff != "" {
			t.Errorf("Members(g1) mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
	// View returns fn's error.
	if err := s.View(ctx, func(store.Tx) error { return errAbort }); !errors.Is(err, errAbort) {
		t.Errorf("View = %v, want fn's error", err)
	}
}

func testLargeMembership(t *testing.T, s store.Store) {
	const total, batch = 10000, 1000
	create(t, s, group("i", "big", "Big"), group("i", "other", "Other"))
	named := user("i", "m00007", "seventh") // one member is a resource: its display is joined
	create(t, s, named)
	for start := 0; start < total; start += batch {
		ms := make([]store.Member, 0, batch)
		for i := start; i < start+batch; i++ {
			ms = append(ms, store.Member{ID: fmt.Sprintf("m%05d", i), Type: "User"})
		}
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddMembers(ctx, "i", "big", ms) })
	}
	got := members(t, s, "i", "big")
	if len(got) != total {
		t.Fatalf("Members(big) has %d members, want %d", len(got), total)
	}
	for i, m := range got {
		if want := fmt.Sprintf("m%05d", i); m.ID != want {
			t.Fatalf("member %d is %s, want %s (order of addition)", i, m.ID, want)
		}
	}
	if got[7].Display != "seventh" {
		t.Errorf("member 7 display = %q, want seventh", got[7].Display)
	}

	steps := []struct {
		name      string
		fn        func(ctx context.Context, tx store.Tx) error
		wantCount int
		wantLast  string
		member    string
		wantHas   bool
	}{
		{"add one", func(ctx context.Context, tx store.Tx) error {
			return tx.AddMembers(ctx, "i", "big", []store.Member{{ID: "newcomer", Type: "User"}})
		}, total + 1, "newcomer", "newcomer", true},
		{"add existing", func(ctx context.Context, tx store.Tx) error {
			return tx.AddMembers(ctx, "i", "big", []store.Member{{ID: "m05000", Type: "User"}})
		}, total + 1, "newcomer", "m05000", true},
		{"remove one", func(ctx context.Context, tx store.Tx) error {
			return tx.RemoveMembers(ctx, "i", "big", []string{"m05000"})
		}, total, "newcomer", "m05000", false},
		{"remove missing", func(ctx context.Context, tx store.Tx) error {
			return tx.RemoveMembers(ctx, "i", "big", []string{"m05000"})
		}, total, "newcomer", "m00000", true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, st.fn)
			got := members(t, s, "i", "big")
			if len(got) != st.wantCount || got[len(got)-1].ID != st.wantLast {
				t.Fatalf("%d members, last %s; want %d, last %s", len(got), got[len(got)-1].ID, st.wantCount, st.wantLast)
			}
			view(t, s, func(ctx context.Context, tx store.Tx) error {
				has, err := tx.HasMember(ctx, "i", "big", st.member)
				if err != nil {
					return err
				}
				if has != st.wantHas {
					t.Errorf("HasMember(%s) = %v, want %v", st.member, has, st.wantHas)
				}
				return nil
			})
		})
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AddMembers(ctx, "i", "other", []store.Member{{ID: "m00007", Type: "User"}})
	})
	want := []store.GroupRef{{ID: "big", Display: "Big"}, {ID: "other", Display: "Other"}}
	if diff := cmp.Diff(want, groupsOf(t, s, "i", "m00007")); diff != "" {
		t.Errorf("GroupsOf(m00007) mismatch (-want +got):\n%s", diff)
	}
}

// testTouchResources: touching bumps version and modified time of the
// named resources that exist, keeps their data and creation time, and
// skips ids that do not exist or belong to another instance.
func testTouchResources(t *testing.T, s store.Store) {
	a, b := user("i1", "a", "alice"), user("i1", "b", "bob")
	other := user("i2", "a", "alice")
	create(t, s, a, b, other)
	before := mustGet(t, s, "i1", "User", "a")
	when := at(42)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.TouchResources(ctx, "i1", []string{"a", "missing"}, when)
	})
	after := mustGet(t, s, "i1", "User", "a")
	if after.Version != before.Version+1 {
		t.Errorf("version %d after touch, want %d", after.Version, before.Version+1)
	}
	if !after.Modified.Equal(when) || !after.Created.Equal(before.Created) {
		t.Errorf("modified %v created %v, want %v and %v", after.Modified, after.Created, when, before.Created)
	}
	if !bytes.Equal(after.Data, before.Data) || after.UserName != before.UserName {
		t.Errorf("touch changed the data: %s %q", after.Data, after.UserName)
	}
	if got := mustGet(t, s, "i1", "User", "b"); got.Version != 1 {
		t.Errorf("an untouched resource has version %d", got.Version)
	}
	if got := mustGet(t, s, "i2", "User", "a"); got.Version != 1 {
		t.Errorf("the same id in another instance was touched: version %d", got.Version)
	}
}

// testTypesOf: one lookup resolves the types of many ids of one instance.
func testTypesOf(t *testing.T, s store.Store) {
	create(t, s, user("i1", "u", "alice"), group("i1", "g", "G"), user("i2", "x", "other"))
	var got map[string]string
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.TypesOf(ctx, "i1", []string{"u", "g", "missing", "x", "u"})
		return err
	})
	want := map[string]string{"u": "User", "g": "Group"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TypesOf (-want +got):\n%s", diff)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.TypesOf(ctx, "i1", nil)
		return err
	})
	if len(got) != 0 {
		t.Errorf("TypesOf(nil) = %v", got)
	}
}

// testGroupsOfMany answers GroupsOf for several members at once.
func testGroupsOfMany(t *testing.T, s store.Store) {
	create(t, s, user("i1", "u1", "a"), user("i1", "u2", "b"), user("i1", "u3", "c"),
		group("i1", "g1", "G1"), group("i1", "g2", "G2"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddMembers(ctx, "i1", "g1", []store.Member{{ID: "u1", Type: "User"}, {ID: "u2", Type: "User"}}); err != nil {
			return err
		}
		return tx.AddMembers(ctx, "i1", "g2", []store.Member{{ID: "u1", Type: "User"}})
	})
	var got map[string][]store.GroupRef
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		got, err = tx.GroupsOfMany(ctx, "i1", []string{"u1", "u2", "u3", "nobody"})
		return err
	})
	want := map[string][]store.GroupRef{
		"u1": {{ID: "g1", Display: "G1"}, {ID: "g2", Display: "G2"}},
		"u2": {{ID: "g1", Display: "G1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GroupsOfMany (-want +got):\n%s", diff)
	}
}
