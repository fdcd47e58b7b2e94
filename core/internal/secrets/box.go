package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Key is one AES-256 key and its id.
type Key struct {
	// ID names the key inside each ciphertext; it must not contain ':'.
	ID string
	// Key is 32 bytes.
	Key []byte
}

// Box seals and opens secrets. It is immutable and safe for concurrent use.
type Box struct {
	current string
	aeads   map[string]cipher.AEAD
}

// New returns a Box that seals with keys[0] and opens with any of keys.
func New(keys ...Key) (*Box, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	b := &Box{current: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if k.ID == "" || strings.Contains(k.ID, ":") || len(k.Key) != 32 {
			return nil, fmt.Errorf("%w: id %q", ErrBadKey, k.ID)
		}
		if _, dup := b.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w: id %q appears twice", ErrBadKey, k.ID)
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		b.aeads[k.ID] = aead
	}
	return b, nil
}

// DevelopmentKey is the fixed key used when no keys are configured, so a developer's
// machine works out of the box. Never use it in production: its bytes are public.
func DevelopmentKey() Key {
	return Key{ID: "dev", Key: bytes.Repeat([]byte{0x42}, 32)}
}

// CurrentKeyID is the id of the key Seal uses.
func (b *Box) CurrentKeyID() string { return b.current }

const version = "v1"

// Seal encrypts plaintext bound to aad (which may be nil) with the current key.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := b.aeads[b.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, plaintext, b.aad(b.current, aad))
	out := make([]byte, 0, len(version)+len(b.current)+2+base64.RawURLEncoding.EncodedLen(len(sealed)))
	out = append(out, version+":"+b.current+":"...)
	return base64.RawURLEncoding.AppendEncode(out, sealed), nil
}

// Open decrypts a ciphertext from Seal with the same aad.
func (b *Box) Open(ciphertext, aad []byte) ([]byte, error) {
	id, sealed, err := b.split(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := b.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrCorrupt
	}
	pt, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], b.aad(id, aad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}

// KeyID returns the id of the key that sealed ciphertext.
func (b *Box) KeyID(ciphertext []byte) (string, error) {
	id, _, err := b.split(ciphertext)
	return id, err
}

// Reseal re-encrypts ciphertext under the current key when another key sealed it; it
// returns the input and false when nothing needed doing.
func (b *Box) Reseal(ciphertext, aad []byte) ([]byte, bool, error) {
	id, err := b.KeyID(ciphertext)
	if err != nil {
		return nil, false, err
	}
	if id == b.current {
		return ciphertext, false, nil
	}
	pt, err := b.Open(ciphertext, aad)
	if err != nil {
		return nil, false, err
	}
	out, err := b.Seal(pt, aad)
	return out, err == nil, err
}

func (b *Box) split(ciphertext []byte) (string, []byte, error) {
	parts := bytes.SplitN(ciphertext, []byte(":"), 3)
	if len(parts) != 3 || string(parts[0]) != version {
		return "", nil, ErrCorrupt
	}
	sealed, err := base64.RawURLEncoding.DecodeString(string(parts[2]))
	if err != nil {
		return "", nil, ErrCorrupt
	}
	return string(parts[1]), sealed, nil
}

// aad binds the key id and the version into the authenticated data, so the header
// cannot be swapped.
func (b *Box) aad(id string, extra []byte) []byte {
	out := make([]byte, 0, len(version)+len(id)+2+len(extra))
	out = append(out, version+":"+id+":"...)
	return append(out, extra...)
}
