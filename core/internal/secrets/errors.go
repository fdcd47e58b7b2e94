package secrets

import "errors"

// ErrNoKeys means a Box was built without keys.
var ErrNoKeys = errors.New("no encryption keys")

// ErrBadKey means a key is not 32 bytes or has no id, or an id appears twice.
var ErrBadKey = errors.New("invalid encryption key")

// ErrUnknownKey means a ciphertext names a key id the Box does not hold.
var ErrUnknownKey = errors.New("ciphertext sealed with an unknown key")

// ErrCorrupt means a ciphertext is malformed or fails authentication (wrong key,
// tampered, or wrong additional data).
var ErrCorrupt = errors.New("ciphertext corrupt or not authentic")
