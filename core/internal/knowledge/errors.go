package knowledge

import "errors"

// ErrNotFound means the document does not exist in the caller's dealership.
var ErrNotFound = errors.New("knowledge: document not found")

// ErrInvalidConfig wraps every rejected Config field.
var ErrInvalidConfig = errors.New("knowledge: invalid configuration")

// ErrPrivateTarget means a webhook URL resolves to a private, loopback or link-local
// address and private targets are not allowed by configuration: SetWebhook's
// *WebhookURLError wraps it in place of webhook.ErrPrivateTarget, whose text differs.
var ErrPrivateTarget = errors.New("knowledge: webhook target is a private or loopback address")

// errSkip means an ingest job has nothing to do (already written, superseded or the
// document is gone); the job is acknowledged.
var errSkip = errors.New("knowledge: job has nothing to do")

// permanentError marks a job failure that retrying cannot fix (a damaged file, a
// password-protected PDF …); its text is the document's failure reason.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }
