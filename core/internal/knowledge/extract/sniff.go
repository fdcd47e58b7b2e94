package extract

import (
	"bytes"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// The media types Sniff recognises.
const (
	TypePDF      = "application/pdf"
	TypeDOCX     = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeHTML     = "text/html"
	TypeMarkdown = "text/markdown"
	TypeText     = "text/plain"
)

// Sniff decides the media type from the first bytes of a file (512 are enough). The
// filename and the client's claimed type only choose between Markdown and plain text,
// which the bytes cannot tell apart. An empty head is plain text (extraction then fails
// with ErrEmpty); bytes of any other type return ErrUnsupported.
func Sniff(head []byte, filename, claimed string) (string, error) {
	if len(head) == 0 {
		return TypeText, nil
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return TypePDF, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// An OOXML package; extraction checks that it is a Word document.
		return TypeDOCX, nil
	}
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "text/html"):
		return TypeHTML, nil
	case strings.HasPrefix(ct, "text/plain; charset=utf-8"), strings.HasPrefix(ct, "text/xml"):
		if !utf8.Valid(trimPartialRune(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) {
			return "", ErrUnsupported
		}
		ext := strings.ToLower(path.Ext(filename))
		if ext == ".md" || ext == ".markdown" || strings.HasPrefix(claimed, TypeMarkdown) || looksLikeMarkdown(head) {
			return TypeMarkdown, nil
		}
		return TypeText, nil
	}
	return "", ErrUnsupported
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end of a head.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

func looksLikeMarkdown(head []byte) bool {
	for _, line := range bytes.Split(head, []byte("\n")) {
		l := bytes.TrimSpace(line)
		if bytes.HasPrefix(l, []byte("# ")) || bytes.HasPrefix(l, []byte("## ")) || bytes.HasPrefix(l, []byte("```")) {
			return true
		}
	}
	return false
}
