package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"path"
	"regexp"
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

// Sniff decides the media type of an upload from its bytes. head is the whole file or
// its first bytes (512 are enough); a rune cut off at the end of head is tolerated.
// Each accepted type is recognised positively, by its own structure:
//
//   - PDF: the %PDF- header followed by PDF syntax (an indirect object, %%EOF or
//     binary bytes), so prose that starts with "%PDF-" stays text;
//   - DOCX: a ZIP archive whose entries include [Content_Types].xml and
//     word/document.xml. With the whole file the central directory decides; with a
//     prefix, the local file headers it holds must name parts of a Word package, and
//     extraction checks the rest;
//   - HTML: what net/http.DetectContentType (the WHATWG algorithm) calls HTML, after an
//     optional UTF-8 byte-order mark;
//   - Markdown or plain text: any other valid UTF-8 without control bytes other than
//     tab, line feed, form feed and carriage return, after an optional UTF-8 byte-order
//     mark, whatever binary signature its first bytes happen to match ("BMW…" is not a
//     bitmap, "GIF89a…" prose is not an image).
//
// The filename and the client's claimed type only choose between Markdown and plain
// text, which the bytes cannot tell apart. An empty head is plain text (extraction then
// fails with ErrEmpty). Everything else, such as images, fonts, audio, video,
// executables, archives that are not Word documents, other encodings and text with
// NUL or other control bytes, returns ErrUnsupported.
func Sniff(head []byte, filename, claimed string) (string, error) {
	if len(head) == 0 {
		return TypeText, nil
	}
	if isPDF(head) {
		return TypePDF, nil
	}
	if isDOCX(head) {
		return TypeDOCX, nil
	}
	body := bytes.TrimPrefix(head, utf8BOM)
	if strings.HasPrefix(http.DetectContentType(body), "text/html") {
		return TypeHTML, nil
	}
	if !isText(body) {
		return "", ErrUnsupported
	}
	ext := strings.ToLower(path.Ext(filename))
	if ext == ".md" || ext == ".markdown" || strings.HasPrefix(claimed, TypeMarkdown) || looksLikeMarkdown(body) {
		return TypeMarkdown, nil
	}
	return TypeText, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// isText reports whether b is valid UTF-8 (but for a rune cut off at its end) without
// control bytes other than \t, \n, \f and \r.
func isText(b []byte) bool {
	b = trimPartialRune(b)
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end of a head;
// invalid bytes stay, so that utf8.Valid still rejects them.
func trimPartialRune(b []byte) []byte {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		start := len(b) - i
		if utf8.RuneStart(b[start]) {
			if !utf8.FullRune(b[start:]) {
				return b[:start]
			}
			return b
		}
	}
	return b
}

// pdfObject matches the header of an indirect object ("12 0 obj"), which follows the
// %PDF- header in every PDF.
var pdfObject = regexp.MustCompile(`\d+\s+\d+\s+obj\b`)

// isPDF reports whether head starts with the %PDF- header and goes on as a PDF: with
// bytes that are not text (the customary binary comment line, compressed streams) or,
// for an all-ASCII PDF, an indirect object or the %%EOF marker.
func isPDF(head []byte) bool {
	if !bytes.HasPrefix(head, []byte("%PDF-")) {
		return false
	}
	return !isText(head) || pdfObject.Match(head) || bytes.Contains(head, []byte("%%EOF"))
}

// isDOCX reports whether head is a ZIP archive holding a Word document. A complete
// archive must list [Content_Types].xml and word/document.xml in its central directory.
// A prefix has no central directory, so its first local file header must name a part
// of a Word package and no header it holds may name a part of another OOXML type.
func isDOCX(head []byte) bool {
	if !bytes.HasPrefix(head, []byte(zipLocalHeader)) {
		return false
	}
	if zr, err := zip.NewReader(bytes.NewReader(head), int64(len(head))); err == nil || errors.Is(err, zip.ErrInsecurePath) {
		return hasEntry(zr, "[Content_Types].xml") && hasEntry(zr, "word/document.xml")
	}
	names := localEntryNames(head)
	if len(names) == 0 || !isWordPart(names[0]) {
		return false
	}
	for _, n := range names {
		for _, other := range []string{"xl/", "ppt/", "visio/"} {
			if strings.HasPrefix(n, other) {
				return false
			}
		}
	}
	return true
}

// isWordPart reports whether name is a part that a Word package may store first.
func isWordPart(name string) bool {
	if name == "[Content_Types].xml" {
		return true
	}
	for _, p := range []string{"_rels/", "docProps/", "word/", "customXml/"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

const zipLocalHeader = "PK\x03\x04"

// localEntryNames lists the names in the ZIP local file headers that follow one another
// from the start of head. It stops where head ends, at anything that is not a local
// file header, and after an entry whose size is unknown (a data descriptor follows its
// data).
func localEntryNames(head []byte) []string {
	const fixed = 30 // the local file header up to the name
	var names []string
	for off := 0; off+fixed <= len(head) && string(head[off:off+4]) == zipLocalHeader; {
		flags := binary.LittleEndian.Uint16(head[off+6:])
		size := int(binary.LittleEndian.Uint32(head[off+18:]))
		nameLen := int(binary.LittleEndian.Uint16(head[off+26:]))
		extraLen := int(binary.LittleEndian.Uint16(head[off+28:]))
		if off+fixed+nameLen > len(head) {
			break
		}
		names = append(names, string(head[off+fixed:off+fixed+nameLen]))
		if flags&0x8 != 0 && size == 0 {
			break
		}
		off += fixed + nameLen + extraLen + size
	}
	return names
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
