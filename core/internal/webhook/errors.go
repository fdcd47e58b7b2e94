package webhook

import "errors"

// ErrPrivateTarget means a webhook URL resolves to a private, loopback, link-local,
// multicast or shared (100.64.0.0/10) address while private targets are not allowed. A
// delivery refused for it is not retried.
var ErrPrivateTarget = errors.New("webhook: target is a private or loopback address")
