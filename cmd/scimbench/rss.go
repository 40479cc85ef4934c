package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssInterval is how often a scenario samples the server's RSS.
const rssInterval = 100 * time.Millisecond

// rssSampler samples a process's resident set size while a scenario runs.
type rssSampler struct {
	pid         int
	start, peak int64 // KiB
	done        chan struct{}
	wg          sync.WaitGroup
}

// sampleRSS starts sampling --pid; with no pid it returns a sampler that
// records nothing.
func (b *bench) sampleRSS() *rssSampler {
	s := &rssSampler{pid: b.pid, done: make(chan struct{})}
	if s.pid == 0 {
		return s
	}
	s.start, _ = readRSS(s.pid) // checked at startup; a vanished process reads 0
	s.peak = s.start
	s.wg.Go(func() {
		tick := time.NewTicker(rssInterval)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
				if kib, err := readRSS(s.pid); err == nil {
					s.peak = max(s.peak, kib)
				}
			}
		}
	})
	return s
}

// stop ends sampling and stores start and peak RSS in res.
func (s *rssSampler) stop(res *result) {
	if s.pid == 0 {
		return
	}
	close(s.done)
	s.wg.Wait()
	if kib, err := readRSS(s.pid); err == nil {
		s.peak = max(s.peak, kib)
	}
	res.RSSStartKiB, res.RSSPeakKiB = s.start, s.peak
}

// readRSS returns VmRSS of the process, in KiB, from /proc/PID/status.
func readRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading RSS: %w", err)
	}
	return parseRSS(data)
}

// parseRSS finds the "VmRSS:   1234 kB" line of a /proc/PID/status text.
func parseRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kib, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing VmRSS %q: %w", fields[0], err)
		}
		return kib, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("scanning status: %w", err)
	}
	return 0, fmt.Errorf("no VmRSS line (kernel thread or exited process)")
}
