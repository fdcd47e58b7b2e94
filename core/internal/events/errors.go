package events

import "errors"

// ErrEmbeddedStart means the embedded NATS server did not become ready.
var ErrEmbeddedStart = errors.New("embedded NATS server did not start")

// ErrNotReady is wrapped by Ping while the bus is not usable yet: the connection is
// not up, or the streams are not declared. The error's text says which and why.
var ErrNotReady = errors.New("NATS not ready")
