//go:build !unix

package sqlite

import (
	"errors"
	"os"
)

// ErrLocked means another process has the database open.
var ErrLocked = errors.New("sqlite: the database is in use by another process")

// lockFile is a no-op where advisory file locks are not available; the
// store then does not claim to be exclusive.
func lockFile(path string) (*os.File, error) { return nil, nil }
