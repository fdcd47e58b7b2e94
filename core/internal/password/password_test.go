package password_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/password"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := password.New(password.TestParams(), 0)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.Hash(t.Context(), "correct horse battery")
	b, _ := h.Hash(t.Context(), "correct horse battery")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash = %s", a)
	}
	tests := []struct {
		name string
		hash string
		pw   string
		want error
	}{
		{name: "right", hash: a, pw: "correct horse battery"},
		{name: "wrong", hash: a, pw: "correct horse battery!", want: password.ErrMismatch},
		{name: "empty", hash: a, pw: "", want: password.ErrMismatch},
		{name: "huge", hash: a, pw: strings.Repeat("x", 10000), want: password.ErrMismatch},
		{name: "malformed", hash: "$2a$10$bcrypt", pw: "x", want: password.ErrMalformedHash},
		{name: "absurd memory", hash: "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", pw: "x", want: password.ErrMalformedHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := h.Verify(t.Context(), tc.hash, tc.pw)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if err := h.VerifyDummy(t.Context(), "anything at all"); !errors.Is(err, password.ErrMismatch) {
		t.Fatal(err)
	}
	strong, _ := password.New(password.Params{MemoryKiB: 2048, Time: 1, Threads: 1}, 0)
	if !strong.NeedsRehash(a) || h.NeedsRehash(a) {
		t.Fatal("NeedsRehash wrong")
	}
}

// TestDummyTiming checks that an unknown account costs about as much as a wrong password.
func TestDummyTiming(t *testing.T) {
	h, _ := password.New(password.Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, 1)
	enc, _ := h.Hash(t.Context(), "correct horse battery")
	measure := func(f func()) time.Duration {
		best := time.Hour
		for range 5 {
			s := time.Now()
			f()
			best = min(best, time.Since(s))
		}
		return best
	}
	wrong := measure(func() { _ = h.Verify(t.Context(), enc, "wrong password!!") })
	unknown := measure(func() { _ = h.VerifyDummy(t.Context(), "wrong password!!") })
	ratio := float64(unknown) / float64(wrong)
	t.Logf("wrong password %v, unknown account %v (ratio %.2f)", wrong, unknown, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("timing differs: wrong %v, unknown %v", wrong, unknown)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{name: "ok", pw: "twelve chars"},
		{name: "eleven", pw: "eleven char", want: password.ErrTooShort},
		{name: "unicode counts runes", pw: "ééééééééééé", want: password.ErrTooShort},
		{name: "too long", pw: strings.Repeat("a", 1025), want: password.ErrTooLong},
		{name: "invalid utf8", pw: "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", want: password.ErrTooShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := password.Validate(tc.pw); !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
		})
	}
}
