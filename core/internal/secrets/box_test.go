package secrets_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/secrets"
)

func key(t *testing.T, id string) secrets.Key {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return secrets.Key{ID: id, Key: k}
}

func TestSealOpenRotate(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t, "k1"), key(t, "k2")
	old, err := secrets.New(k1)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := old.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("JBSWY3DP")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	// After rotation k2 seals, k1 still opens.
	rotated, _ := secrets.New(k2, k1)
	pt, err := rotated.Open(ct, []byte("user-1"))
	if err != nil || string(pt) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open after rotation = %q, %v", pt, err)
	}
	re, changed, err := rotated.Reseal(ct, []byte("user-1"))
	if err != nil || !changed {
		t.Fatalf("Reseal = %v %v", changed, err)
	}
	if id, _ := rotated.KeyID(re); id != "k2" {
		t.Fatalf("resealed with %q", id)
	}
	onlyNew, _ := secrets.New(k2)
	if _, err := onlyNew.Open(ct, []byte("user-1")); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Fatalf("retired key: %v", err)
	}

	tests := []struct {
		name string
		ct   []byte
		aad  string
		want error
	}{
		{name: "wrong aad", ct: ct, aad: "user-2", want: secrets.ErrCorrupt},
		{name: "garbage", ct: []byte("nope"), aad: "user-1", want: secrets.ErrCorrupt},
		{name: "flipped byte", ct: flip(ct), aad: "user-1", want: secrets.ErrCorrupt},
		{name: "swapped key id", ct: bytes.Replace(ct, []byte(":k1:"), []byte(":k2:"), 1), aad: "user-1", want: secrets.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := rotated.Open(tc.ct, []byte(tc.aad)); !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
		})
	}
}

func flip(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)-3] ^= 0x01
	if out[len(out)-3] == b[len(b)-3] {
		out[len(out)-3] = 'A'
	}
	return out
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := secrets.New(); !errors.Is(err, secrets.ErrNoKeys) {
		t.Fatal(err)
	}
	if _, err := secrets.New(secrets.Key{ID: "a", Key: make([]byte, 16)}); !errors.Is(err, secrets.ErrBadKey) {
		t.Fatal(err)
	}
	if _, err := secrets.New(key(t, "a"), key(t, "a")); !errors.Is(err, secrets.ErrBadKey) {
		t.Fatal(err)
	}
}
