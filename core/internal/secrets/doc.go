// Package secrets encrypts secrets at rest (TOTP secrets, signing keys, provider API
// keys, webhook secrets) with AES-256-GCM. Each ciphertext carries the id of the key that
// sealed it, so keys rotate: the first key seals, every listed key opens, and Reseal
// moves old ciphertexts to the current key.
//
// Format: "v1:<key id>:" followed by base64url(nonce || ciphertext || tag), as bytes.
// Callers bind a ciphertext to its row with additional data (for example the user id),
// so a ciphertext copied to another row does not open.
package secrets
