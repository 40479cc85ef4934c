package bridge

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// changeMembers applies membership changes in order through the target's
// membership calls, split into batches of Resource.MemberBatch ids run
// Resource.MemberConcurrency at a time. httpx already spaces calls by the
// target's rate limit (429, Retry-After, X-Rate-Limit-*). On a failure
// the error says how many and which changes were applied before it.
func (b *backend) changeMembers(ctx context.Context, groupID string, changes []patch.MemberChange) error {
	mm := b.t.(MemberManager)
	var current map[string]bool
	loadCurrent := func() error {
		if current != nil {
			return nil
		}
		ids, err := mm.MemberIDs(ctx, groupID)
		if err != nil {
			return b.targetErr("list members", err)
		}
		current = make(map[string]bool, len(ids))
		for _, id := range ids {
			current[id] = true
		}
		return nil
	}
	for _, ch := range changes {
		var add, remove []string
		switch ch.Op {
		case patch.MemberAdd:
			add = ch.IDs
		case patch.MemberRemove:
			remove = ch.IDs
		case patch.MemberReplace, patch.MemberRemoveAll, patch.MemberRemoveMatching:
			if err := loadCurrent(); err != nil {
				return err
			}
			keep := map[string]bool{}
			for _, id := range ch.IDs {
				keep[id] = true
				if !current[id] {
					add = append(add, id)
				}
			}
			var m *filter.Matcher
			if ch.Op == patch.MemberRemoveMatching {
				var err error
				if m, err = filter.Compile(ch.Filter, memberType); err != nil {
					return err
				}
			}
			for id := range current {
				switch {
				case ch.Op == patch.MemberRemoveMatching:
					if m.Match(map[string]any{"value": id}) {
						remove = append(remove, id)
					}
				case !keep[id]:
					remove = append(remove, id)
				}
			}
		default:
			return fmt.Errorf("%s: unknown member change %q", b.conn.Name, ch.Op)
		}
		if err := b.runMembers(ctx, groupID, "added", add, mm.AddMembers); err != nil {
			return err
		}
		if err := b.runMembers(ctx, groupID, "removed", remove, mm.RemoveMembers); err != nil {
			return err
		}
		if current != nil {
			for _, id := range add {
				current[id] = true
			}
			for _, id := range remove {
				delete(current, id)
			}
		}
	}
	return nil
}

// maxListed bounds how many applied member ids an error message lists.
const maxListed = 50

func (b *backend) runMembers(ctx context.Context, groupID, verb string, ids []string, call func(context.Context, string, []string) error) error {
	if len(ids) == 0 {
		return nil
	}
	size := b.decl.MemberBatch
	if size <= 0 {
		size = 100
	}
	workers := b.decl.MemberConcurrency
	if workers <= 0 {
		workers = 4
	}
	// After a failure no new batch starts, but batches in flight are not
	// cancelled: a cancelled call may still be applied by the target after
	// we stop listening, and would then be missing from the report of what
	// was applied. Every call finishes and is counted.
	var (
		mu       sync.Mutex
		applied  []string
		firstErr error
		wg       sync.WaitGroup
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	batches := make(chan []string)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				err := call(ctx, groupID, batch)
				mu.Lock()
				if err == nil {
					applied = append(applied, batch...)
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < len(ids); i += size {
		if failed() || ctx.Err() != nil {
			break
		}
		batches <- ids[i:min(i+size, len(ids))]
	}
	close(batches)
	wg.Wait()
	if firstErr == nil {
		return nil
	}
	listed := applied
	more := ""
	if len(listed) > maxListed {
		listed = listed[:maxListed]
		more = fmt.Sprintf(" and %d more", len(applied)-maxListed)
	}
	msg := fmt.Sprintf("%d of %d members were %s before the target failed", len(applied), len(ids), verb)
	if len(applied) > 0 {
		msg += fmt.Sprintf(" (%s%s)", strings.Join(listed, ", "), more)
	}
	return prefixErr(b.targetErr("change members", firstErr), msg)
}

// memberType is the resource type a member filter (members[...]) is
// evaluated against: its paths name the member's sub-attributes. Only
// value is known without reading each member, so type and display
// comparisons see a missing attribute.
var memberType = func() *schema.ResourceType {
	s := &schema.Schema{ID: "urn:scimconnect:member"}
	v := schema.NewAttribute("value", schema.String)
	v.CaseExact = true
	s.AddAttribute(v)
	s.AddAttribute(schema.NewAttribute("type", schema.String))
	s.AddAttribute(schema.NewAttribute("display", schema.String))
	return &schema.ResourceType{ID: "Member", Name: "Member", Endpoint: "/Members", Schema: s}
}()
