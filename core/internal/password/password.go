package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MinLength is the least number of characters (runes) a new password must have.
const MinLength = 12

// MaxLength bounds a password in bytes, so hashing cost cannot be inflated by input.
const MaxLength = 1024

// Params are argon2id cost parameters.
type Params struct {
	// MemoryKiB is the memory cost in KiB. Default 65536 (64 MiB).
	MemoryKiB uint32
	// Time is the number of passes. Default 3.
	Time uint32
	// Threads is the parallelism. Default 2.
	Threads uint8
	// SaltLen and KeyLen are in bytes. Defaults 16 and 32.
	SaltLen, KeyLen uint32
}

// DefaultParams are the production parameters (OWASP's argon2id recommendation or more).
func DefaultParams() Params {
	return Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// TestParams are cheap parameters for tests; still real argon2id.
func TestParams() Params {
	return Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	p     Params
	sem   chan struct{}
	dummy string
}

// New returns a Hasher with p (zero fields take DefaultParams' values) allowing at most
// concurrency simultaneous hashes (zero means GOMAXPROCS).
func New(p Params, concurrency int) (*Hasher, error) {
	d := DefaultParams()
	if p.MemoryKiB == 0 {
		p.MemoryKiB = d.MemoryKiB
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{p: p, sem: make(chan struct{}, concurrency)}
	dummy, err := h.derive("dummy password for unknown accounts") // h is not shared yet: no slot to wait for
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Params returns the parameters new hashes use.
func (h *Hasher) Params() Params { return h.p }

// Validate checks a new password's length: at least MinLength characters, at most
// MaxLength bytes, and valid UTF-8.
func Validate(pw string) error {
	if len(pw) > MaxLength {
		return ErrTooLong
	}
	if !utf8.ValidString(pw) || utf8.RuneCountInString(pw) < MinLength {
		return ErrTooShort
	}
	return nil
}

// Hash returns the PHC string for pw with a fresh salt. It does not call Validate.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) > MaxLength {
		return "", ErrTooLong
	}
	return h.hash(ctx, pw)
}

func (h *Hasher) hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.derive(pw)
}

// derive returns the PHC string for pw with a fresh salt. The caller holds a slot of
// h.sem, or h is not shared yet.
func (h *Hasher) derive(pw string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, h.p.Time, h.p.MemoryKiB, h.p.Threads, h.p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.MemoryKiB, h.p.Time, h.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks pw against encoded in constant time. It returns ErrMismatch for a wrong
// password and ErrMalformedHash for an unreadable hash.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) error {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return err
	}
	tooLong := len(pw) > MaxLength
	if tooLong {
		pw = pw[:MaxLength] // same work as a real check; it cannot match anyway
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	h.release()
	if tooLong || subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// VerifyDummy does the work of Verify against a hash no password matches, and returns
// ErrMismatch; use it when the account does not exist.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	if err := h.Verify(ctx, h.dummy, pw+"\x00never"); err != nil {
		return err
	}
	return ErrMismatch
}

// NeedsRehash reports whether encoded was made with parameters other than h's.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, key, err := decode(encoded)
	return err != nil || p.MemoryKiB != h.p.MemoryKiB || p.Time != h.p.Time || p.Threads != h.p.Threads || uint32(len(key)) != h.p.KeyLen
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to hash: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > 4<<20 || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
