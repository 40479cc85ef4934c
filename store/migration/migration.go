// Package migration loads the versioned schema migrations that store
// backends embed, so every backend names, orders and checks them the same
// way. Applying them is the backend's business (its SQL dialect and
// locking differ).
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Step is one schema migration, from a file named NNNN_description.sql.
type Step struct {
	Version int
	Name    string // file name without .sql
	SQL     string
}

// Load reads migrations/*.sql from fsys in version order. Versions must
// start at 1 and have no gaps, so a missing file cannot go unnoticed.
func Load(fsys fs.FS) ([]Step, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var steps []Step
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", base)
		}
		v, err := strconv.Atoi(prefix)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: bad version %q", base, prefix)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", base, err)
		}
		steps = append(steps, Step{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(body)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	for i, s := range steps {
		if s.Version != i+1 {
			return nil, fmt.Errorf("migration %q: expected version %d", s.Name, i+1)
		}
	}
	return steps, nil
}
