package extract

import "errors"

// The extraction errors. Their text is written for the person who uploaded the file and
// becomes the document's failure reason; wrapping adds specifics.
var (
	// ErrUnsupported means the bytes are not PDF, DOCX, HTML, Markdown or plain text.
	ErrUnsupported = errors.New("unsupported file type: upload PDF, DOCX, HTML, Markdown or plain text")
	// ErrEmpty means the file has no bytes.
	ErrEmpty = errors.New("the file is empty")
	// ErrNoText means the file parsed but holds no text (for example a scanned PDF).
	ErrNoText = errors.New("no text found in the file (a scanned PDF needs a text layer)")
	// ErrCorrupt means the file claims a supported type but cannot be parsed.
	ErrCorrupt = errors.New("the file is damaged or not what its type says")
	// ErrEncrypted means the file is password-protected.
	ErrEncrypted = errors.New("the file is password-protected; upload an unprotected copy")
	// ErrTooManyPages means a PDF has more pages than Limits.MaxPages.
	ErrTooManyPages = errors.New("the PDF has too many pages")
	// ErrTooLarge means a size cap (decompressed size, entry count, text size) was hit.
	ErrTooLarge = errors.New("the file is too large to process")
	// ErrTimeout means extraction ran longer than Limits.Timeout.
	ErrTimeout = errors.New("extracting the text took too long")
)
