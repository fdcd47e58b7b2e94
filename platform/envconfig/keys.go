package envconfig

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Key is one secret key with the id that names it, e.g. beside each ciphertext it
// encrypted.
type Key struct {
	// ID names the key; ids are unique within one variable.
	ID string
	// Bytes is the decoded key, exactly the size Keys was asked for.
	Bytes []byte
}

// Keys returns the variable as a key ring, "id:base64,id2:base64", in the order
// given (callers usually encrypt with the first and decrypt with any). Each key
// is standard base64 of exactly size bytes and ids do not repeat. It returns nil
// when the variable is unset. Messages name a key's id, never its bytes.
func (r *Reader) Keys(name string, size int) []Key {
	v, ok := r.Lookup(name)
	if !ok {
		return nil
	}
	var out []Key
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		id, b64, found := strings.Cut(strings.TrimSpace(part), ":")
		id = strings.TrimSpace(id)
		if !found || id == "" {
			r.Fail(name, fmt.Sprintf("each key must be id:base64 (%d bytes), comma-separated", size))
			return nil
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(key) != size {
			r.Fail(name, fmt.Sprintf("key %q must be %d bytes of standard base64", id, size))
			return nil
		}
		if seen[id] {
			r.Fail(name, fmt.Sprintf("key id %q appears twice", id))
			return nil
		}
		seen[id] = true
		out = append(out, Key{ID: id, Bytes: key})
	}
	return out
}
