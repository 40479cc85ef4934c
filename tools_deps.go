//go:build tools

package tools

import (
	_ "github.com/google/go-cmp/cmp"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
