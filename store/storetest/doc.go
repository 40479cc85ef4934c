// Package storetest is the conformance suite every store.Store backend
// must pass.
//
// A backend's test calls Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { _ = s.Close() })
//			return s
//		})
//	}
//
// newStore must return an empty store of its own each time (subtests run
// in parallel) and arrange its cleanup with t.Cleanup. The suite uses only
// the store package: it says what every backend guarantees, never how one
// backend does it. Times it writes have microsecond precision, the finest
// every backend keeps.
package storetest
