package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// Segment geometry.
const (
	// segmentCap bounds the records of a segment; indexes stay below it.
	segmentCap = 512
	// idBits is how many low bits of a record id hold its index.
	idBits = 10
	// openBelow: an append joins the newest segment only while that holds
	// fewer records, so a segment is rewritten only while it is small
	// (the appends of a quiet gateway fill it), never once it is large.
	openBelow = 64
	// bloomBytes is the size of a segment's Bloom filter of resource ids:
	// 8 bits a record at full capacity, 4 probes, about 2% false positives.
	bloomBytes  = segmentCap
	bloomProbes = 4
	// segmentVersion is the first byte of a segment's data.
	segmentVersion = 1
)

// sep separates the values of a segment's instances and outcomes.
const sep = "\x1f"

// segRecord is a record in a segment with its index.
type segRecord struct {
	idx int
	rec store.AuditRecord
}

// string fields of a record, in encoding order.
func recordStrings(r *store.AuditRecord) [7]*string {
	return [7]*string{&r.Instance, &r.Client, &r.RequestID, &r.Operation, &r.ResourceType, &r.ResourceID, &r.Outcome}
}

// encodeRecords appends the encoding of recs to buf (which holds the
// version byte and the records already in the segment, or nothing).
// prev is the last record already encoded (nil for none): each record is
// encoded against the one before it, so that repeated strings cost a bit
// and times a small delta.
//
// A record: a byte of flags (bit i: string i equals the previous
// record's), its index, its time as a zigzag varint delta, the strings
// that differ (length-prefixed), status, duration in microseconds (zigzag)
// and the length-prefixed calls.
func encodeRecords(buf []byte, prev *store.AuditRecord, recs []segRecord) []byte {
	if len(buf) == 0 {
		buf = append(buf, segmentVersion)
	}
	var prevTime int64
	var prevStrings [7]*string
	if prev != nil {
		prevTime = prev.Time.UnixMicro()
		prevStrings = recordStrings(prev)
	}
	for i := range recs {
		r := &recs[i].rec
		strs := recordStrings(r)
		var flags byte
		if prev != nil {
			for j, s := range strs {
				if *s == *prevStrings[j] {
					flags |= 1 << j
				}
			}
		}
		buf = append(buf, flags)
		buf = binary.AppendUvarint(buf, uint64(recs[i].idx))
		t := r.Time.UnixMicro()
		buf = binary.AppendVarint(buf, t-prevTime)
		for j, s := range strs {
			if flags&(1<<j) == 0 {
				buf = binary.AppendUvarint(buf, uint64(len(*s)))
				buf = append(buf, *s...)
			}
		}
		buf = binary.AppendVarint(buf, int64(r.Status))
		buf = binary.AppendVarint(buf, r.Duration.Microseconds())
		buf = binary.AppendUvarint(buf, uint64(len(r.Calls)))
		buf = append(buf, r.Calls...)
		prev, prevTime, prevStrings = r, t, strs
	}
	return buf
}

var errCorrupt = errors.New("corrupt audit segment")

// decodeRecords decodes a segment's data; ids are made from segID.
func decodeRecords(segID int64, data []byte) ([]segRecord, error) {
	if len(data) == 0 || data[0] != segmentVersion {
		return nil, fmt.Errorf("audit segment %d: unknown version: %w", segID, errCorrupt)
	}
	d := decoder{b: data[1:]}
	var out []segRecord
	var prev *store.AuditRecord
	var prevTime int64
	for len(d.b) > 0 && d.err == nil {
		flags := d.byte()
		idx := int(d.uvarint())
		t := prevTime + d.varint()
		var r segRecord
		r.idx = idx
		r.rec.ID = segID<<idBits | int64(idx)
		r.rec.Time = time.UnixMicro(t).UTC()
		strs := recordStrings(&r.rec)
		for j, s := range strs {
			if flags&(1<<j) != 0 {
				if prev == nil {
					d.err = errCorrupt
					break
				}
				*s = *recordStrings(prev)[j]
				continue
			}
			*s = d.string()
		}
		r.rec.Status = int(d.varint())
		r.rec.Duration = time.Duration(d.varint()) * time.Microsecond
		if calls := d.bytes(); len(calls) > 0 {
			r.rec.Calls = calls
		}
		if idx >= segmentCap {
			d.err = errCorrupt
		}
		out = append(out, r)
		prev, prevTime = &out[len(out)-1].rec, t
	}
	if d.err != nil {
		return nil, fmt.Errorf("audit segment %d: %w", segID, d.err)
	}
	return out, nil
}

// decoder reads a segment's encoding; the first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	out := slices.Clone(d.b[:n])
	d.b = d.b[n:]
	return out
}

func (d *decoder) string() string { return string(d.bytes()) }

// summary is what a segment row holds besides its data.
type summary struct {
	atMin, atMax        int64
	n, next             int
	instances, outcomes string
	resources           []byte
}

// summarize computes the summary of a segment's records.
func summarize(recs []segRecord) summary {
	s := summary{resources: make([]byte, bloomBytes)}
	var instances, outcomes []string
	for i, r := range recs {
		t := r.rec.Time.UnixMicro()
		if i == 0 || t < s.atMin {
			s.atMin = t
		}
		if i == 0 || t > s.atMax {
			s.atMax = t
		}
		s.next = max(s.next, r.idx+1)
		if !slices.Contains(instances, r.rec.Instance) {
			instances = append(instances, r.rec.Instance)
		}
		if !slices.Contains(outcomes, r.rec.Outcome) {
			outcomes = append(outcomes, r.rec.Outcome)
		}
		if r.rec.ResourceID != "" {
			bloomAdd(s.resources, r.rec.ResourceID)
		}
	}
	s.n = len(recs)
	s.instances = sep + strings.Join(instances, sep) + sep
	s.outcomes = sep + strings.Join(outcomes, sep) + sep
	return s
}

// bloomHashes returns two independent hashes of s (FNV-1a, 64 bits, split).
func bloomHashes(s string) (uint32, uint32) {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return uint32(h), uint32(h>>32) | 1
}

func bloomAdd(filter []byte, s string) {
	h1, h2 := bloomHashes(s)
	bits := uint32(len(filter) * 8)
	for i := range uint32(bloomProbes) {
		b := (h1 + i*h2) % bits
		filter[b/8] |= 1 << (b % 8)
	}
}

// bloomMayContain reports whether s may be in the filter (never false
// for a member).
func bloomMayContain(filter []byte, s string) bool {
	if len(filter) == 0 {
		return true
	}
	h1, h2 := bloomHashes(s)
	bits := uint32(len(filter) * 8)
	for i := range uint32(bloomProbes) {
		b := (h1 + i*h2) % bits
		if filter[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// matches reports whether r passes q's filters and lies after its cursor.
func matches(r *store.AuditRecord, q *store.AuditQuery) bool {
	t := r.Time.UnixMicro()
	switch {
	case q.Instance != "" && r.Instance != q.Instance,
		q.Outcome != "" && r.Outcome != q.Outcome,
		q.ResourceID != "" && r.ResourceID != q.ResourceID,
		!q.Since.IsZero() && t < q.Since.UnixMicro(),
		!q.Until.IsZero() && t >= q.Until.UnixMicro():
		return false
	}
	if q.After != nil {
		at := q.After.Time.UnixMicro()
		return t < at || (t == at && r.ID < q.After.ID)
	}
	return true
}

// newerFirst orders records newest first: by time, then by id.
func newerFirst(a, b store.AuditRecord) int {
	ta, tb := a.Time.UnixMicro(), b.Time.UnixMicro()
	switch {
	case ta != tb:
		if ta > tb {
			return -1
		}
		return 1
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}
