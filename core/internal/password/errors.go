package password

import "errors"

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// ErrMalformedHash means a stored hash is not a PHC argon2id string this package can read.
var ErrMalformedHash = errors.New("malformed password hash")

// ErrTooShort means a new password has fewer than MinLength characters.
var ErrTooShort = errors.New("password too short")

// ErrTooLong means a new password has more than MaxLength bytes.
var ErrTooLong = errors.New("password too long")
