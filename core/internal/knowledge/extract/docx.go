package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// extractDOCX reads word/document.xml from the OOXML package with archive/zip and
// walks it with encoding/xml: paragraphs (w:p) with their style (Heading1–9, Title) and
// numbering (list items), runs' text (w:t), tabs and breaks. The archive's entry count
// and every part's decompressed size are capped, whatever the headers claim.
func extractDOCX(ctx context.Context, data []byte, lim Limits) ([]Block, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable ZIP/DOCX archive", ErrCorrupt)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: the archive has %d entries, the limit is %d", ErrTooLarge, len(zr.File), lim.MaxEntries)
	}
	var doc *zip.File
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			doc = f
		}
		if f.Flags&0x1 != 0 {
			return nil, ErrEncrypted
		}
	}
	if doc == nil {
		if hasEntry(zr, "EncryptedPackage") {
			return nil, ErrEncrypted
		}
		return nil, fmt.Errorf("%w: a ZIP archive but not a Word document (word/document.xml is missing)", ErrCorrupt)
	}
	if doc.UncompressedSize64 > uint64(lim.MaxDecompressedBytes) {
		return nil, fmt.Errorf("%w: word/document.xml decompresses to more than %d bytes", ErrTooLarge, lim.MaxDecompressedBytes)
	}
	rc, err := doc.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: cannot open word/document.xml", ErrCorrupt)
	}
	defer rc.Close()
	lr := &limitedReader{r: rc, left: lim.MaxDecompressedBytes}
	return parseDocumentXML(ctx, lr)
}

func hasEntry(zr *zip.Reader, name string) bool {
	for _, f := range zr.File {
		if f.Name == name {
			return true
		}
	}
	return false
}

// limitedReader fails with ErrTooLarge once more than left bytes were read, so a zip
// bomb that lies in its headers still stops at the cap.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("%w: the document decompresses beyond the limit", ErrTooLarge)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fmt.Errorf("%w: the document decompresses beyond the limit", ErrTooLarge)
	}
	return n, err
}

func parseDocumentXML(ctx context.Context, r io.Reader) ([]Block, error) {
	dec := xml.NewDecoder(r)
	var (
		out    []Block
		cur    strings.Builder
		inPara bool
		inText bool
		kind   Kind
		level  int
		tokens int
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: word/document.xml is not well-formed XML", ErrCorrupt)
		}
		if tokens++; tokens%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				inPara, kind, level = true, Paragraph, 0
				cur.Reset()
			case "pStyle":
				style := strings.ToLower(attr(t, "val"))
				switch {
				case style == "title":
					kind, level = Heading, 1
				case strings.HasPrefix(style, "heading"):
					kind, level = Heading, 1
					if n, err := strconv.Atoi(strings.TrimPrefix(style, "heading")); err == nil && n > 0 {
						level = n
					}
				case strings.Contains(style, "list"):
					kind = ListItem
				}
			case "numPr":
				if kind == Paragraph {
					kind = ListItem
				}
			case "t":
				inText = true
			case "tab":
				cur.WriteByte('\t')
			case "br", "cr":
				cur.WriteByte(' ')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if inPara {
					out = append(out, Block{Kind: kind, Level: level, Text: cur.String()})
				}
				inPara = false
			}
		case xml.CharData:
			if inText {
				cur.Write(t)
			}
		}
	}
	return out, nil
}

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
