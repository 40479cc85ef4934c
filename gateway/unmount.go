package gateway

import "fmt"

// Unmount stops serving the named instance and closes its connector. It
// reports whether an instance of that name was mounted. Requests that
// already hold the instance finish on it; new requests get the answer of
// an unknown instance (401, like a wrong token) from the moment the swap
// under the gateway's lock is done.
func (g *Gateway) Unmount(name string) bool {
	g.mu.Lock()
	old := g.instances[name]
	delete(g.instances, name)
	g.opts.Metrics.SetInstancesLoaded(len(g.instances))
	g.mu.Unlock()
	if old == nil {
		return false
	}
	if err := old.conn.Close(); err != nil {
		g.log.Warn("unmount: closing instance", "instance", name, "error", err)
	}
	return true
}

// SetTokenHash replaces the SHA-256 bearer-token hash of a mounted
// instance without reopening its connector: requests that arrive after it
// returns must present the new token, and the old one fails at once.
func (g *Gateway) SetTokenHash(name string, tokenHash []byte) error {
	if len(tokenHash) != len(HashToken("")) {
		return fmt.Errorf("instance %q: a SHA-256 token hash is required", name)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.instances[name]
	if old == nil {
		return fmt.Errorf("instance %q is not mounted", name)
	}
	// Copy on write: a request that looked the instance up before the
	// swap reads the old struct without holding the lock.
	in := *old
	in.tokenHash = append([]byte(nil), tokenHash...)
	in.tokenClient = staticTokenClient(in.tokenHash)
	g.instances[name] = &in
	return nil
}

// Mounted reports whether an instance of that name is being served.
func (g *Gateway) Mounted(name string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.instances[name] != nil
}
