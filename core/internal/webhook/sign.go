package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Sign computes the X-Avatar-Signature value of a delivery: "sha256=" followed by the
// hex HMAC-SHA256, keyed with the dealership's secret, of timestamp, ".", and body.
// Receivers compute it again to verify a delivery (with hmac.Equal).
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
