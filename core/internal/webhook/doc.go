// Package webhook delivers Avatar's events to a dealership's own HTTPS endpoint: one
// signed POST per attempt, refused before it leaves when the target is a private
// address, and a backoff schedule for the retries. The areas that send webhooks
// (knowledge's document.ready and document.failed, analytics' session.ended) build a
// Delivery, post it with a Client and keep their own queue and metrics; the wire format
// is this package's alone:
//
//	POST <url>
//	Content-Type: application/json
//	User-Agent: avatar-webhooks/1
//	X-Avatar-Event: <event>
//	X-Avatar-Delivery: <delivery id, the same on every retry>
//	X-Avatar-Timestamp: <unix seconds>
//	X-Avatar-Signature: sha256=<hex(HMAC-SHA256(secret, timestamp + "." + body))>
//
//	{"deliveryId": …, "event": …, "timestamp": …, "<payload name>": {…}}
//
// Any 2xx is success; a redirect is not followed. Receivers verify the signature with
// Sign.
package webhook
