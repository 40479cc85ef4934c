package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// cursorCodec wraps backend positions in opaque, signed, expiring cursors
// (RFC 9865). The signature stops clients from forging positions; the
// query hash stops a cursor from being reused with another filter or sort.
// Replicas sharing the key accept each other's cursors.
type cursorCodec struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

const (
	cursorVersion = 1
	cursorMACLen  = 16
	cursorHeadLen = 1 + 8 + 8 // version, expiry, query hash
)

func (c *cursorCodec) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *cursorCodec) encode(position, queryKey string) string {
	buf := make([]byte, cursorHeadLen, cursorHeadLen+len(position)+cursorMACLen)
	buf[0] = cursorVersion
	binary.BigEndian.PutUint64(buf[1:9], uint64(c.clock().Add(c.ttl).Unix()))
	qh := sha256.Sum256([]byte(queryKey))
	copy(buf[9:17], qh[:8])
	buf = append(buf, position...)
	buf = append(buf, c.mac(buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (c *cursorCodec) mac(data []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(data)
	return m.Sum(nil)[:cursorMACLen]
}

func (c *cursorCodec) decode(cursor, queryKey string) (string, error) {
	invalid := scim.BadRequest(scim.InvalidCursor, "the cursor is not valid: send an empty cursor for the first page, then the nextCursor or previousCursor of the previous response, with the same filter and sort")
	if len(cursor) > 4096 {
		return "", invalid
	}
	buf, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(buf) < cursorHeadLen+cursorMACLen || buf[0] != cursorVersion {
		return "", invalid
	}
	data, sig := buf[:len(buf)-cursorMACLen], buf[len(buf)-cursorMACLen:]
	if !hmac.Equal(sig, c.mac(data)) {
		return "", invalid
	}
	qh := sha256.Sum256([]byte(queryKey))
	if !hmac.Equal(data[9:17], qh[:8]) {
		return "", invalid
	}
	if expiry := int64(binary.BigEndian.Uint64(data[1:9])); c.clock().Unix() > expiry {
		return "", scim.BadRequest(scim.ExpiredCursor, "the cursor has expired: cursors are valid for %d seconds; start again with an empty cursor", int(c.ttl.Seconds()))
	}
	return string(data[cursorHeadLen:]), nil
}
