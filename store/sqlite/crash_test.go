package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/scimconnect/scimconnect/store"
)

// crashChildEnv names the database a re-executed test binary writes to
// until it is killed.
const crashChildEnv = "SCIMCONNECT_SQLITE_CRASH_CHILD"

// TestCrashDurability checks the promise of store.Store.Update: a
// committed Update survives a crash of the process. A child process
// commits writes from several goroutines (so group commit batches them)
// and prints "ACK <id>" after each Update returns; the parent kills it
// with SIGKILL mid-stream, reopens the file, and looks for every
// acknowledged write.
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashDurability$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	const killAfter = 400
	var acked []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "ACK ")
		if !ok {
			continue // test framework output
		}
		acked = append(acked, id)
		if len(acked) == killAfter && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read child output: %v", err)
	}
	waitErr := cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acks (%v), before it could be killed", len(acked), waitErr)
	}

	ctx := t.Context()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	missing := 0
	err = db.View(ctx, func(tx store.Tx) error {
		for _, id := range acked {
			if _, err := tx.GetResource(ctx, "crash", "User", id); err != nil {
				missing++
				t.Errorf("acknowledged %s: %v", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	t.Logf("%d acknowledged writes, %d missing after SIGKILL", len(acked), missing)
}

// crashChild writes until killed, acknowledging each committed Update on
// stdout. It never returns normally within the parent's patience.
func crashChild(path string) {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one ACK line at a time
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				err := db.Update(ctx, func(tx store.Tx) error {
					r := &store.Resource{Instance: "crash", Type: "User", ID: id, UserName: id, Emails: []string{id + "@example.com"}}
					if err := tx.CreateResource(ctx, r); err != nil {
						return err
					}
					return tx.AddMembers(ctx, "crash", "g", []store.Member{{ID: id, Type: "User"}})
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child update:", err)
					os.Exit(2)
				}
				mu.Lock()
				// os.Stdout is unbuffered: the line is in the pipe when
				// Fprintf returns.
				fmt.Fprintf(os.Stdout, "ACK %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
