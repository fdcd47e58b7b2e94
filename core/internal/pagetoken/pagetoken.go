// Package pagetoken encodes keyset-pagination cursors, (time, id) pairs, as opaque page
// tokens, so list calls stay stable under inserts and never scan skipped rows.
package pagetoken

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// ErrInvalid means a page token was not produced by Encode.
var ErrInvalid = errors.New("invalid page token")

// Encode returns the token for the last row of a page.
func Encode(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// Decode parses a token from Encode. The empty token is the first page: zero time, "".
func Decode(tok string) (time.Time, string, error) {
	if tok == "" {
		return time.Time{}, "", nil
	}
	if len(tok) > 200 {
		return time.Time{}, "", ErrInvalid
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", ErrInvalid
	}
	ts, id, ok := strings.Cut(string(b), "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", ErrInvalid
	}
	return t, id, nil
}
