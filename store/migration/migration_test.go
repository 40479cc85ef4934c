package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ok := fstest.MapFS{
		"migrations/0002_more.sql": {Data: []byte("B")},
		"migrations/0001_init.sql": {Data: []byte("A")},
	}
	steps, err := Load(ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Name != "0001_init" || steps[1].SQL != "B" || steps[1].Version != 2 {
		t.Errorf("steps = %+v", steps)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":        {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"no prefix":  {"migrations/init.sql": {}},
		"bad number": {"migrations/x1_a.sql": {}},
		"zero":       {"migrations/0000_a.sql": {}},
	} {
		if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
