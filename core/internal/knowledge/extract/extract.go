package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what a block is.
type Kind int

// The block kinds.
const (
	Paragraph Kind = iota
	Heading
	ListItem
)

// Block is one structural unit of extracted text.
type Block struct {
	Kind Kind
	// Level is a heading's level, 1 for the top; 0 for other kinds.
	Level int
	Text  string
	// Page is the 1-based page for PDFs, 0 where pages do not exist.
	Page int
}

// Limits bound extraction against hostile files. Zero fields take the defaults.
type Limits struct {
	// MaxPages caps a PDF's page count; default 2000.
	MaxPages int
	// MaxTextBytes caps the extracted text; default 20 MiB.
	MaxTextBytes int
	// MaxDecompressedBytes caps the decompressed size of a DOCX's parts; default 100 MiB.
	MaxDecompressedBytes int64
	// MaxEntries caps the number of entries in a DOCX archive; default 2000.
	MaxEntries int
	// Timeout bounds one extraction; default 60s.
	Timeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxPages <= 0 {
		l.MaxPages = 2000
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 20 << 20
	}
	if l.MaxDecompressedBytes <= 0 {
		l.MaxDecompressedBytes = 100 << 20
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 2000
	}
	if l.Timeout <= 0 {
		l.Timeout = 60 * time.Second
	}
	return l
}

// Extract returns the blocks of data, which Sniff typed as mediaType. Errors wrap the
// sentinels of this package (or the context's error when ctx ends).
func Extract(ctx context.Context, mediaType string, data []byte, lim Limits) ([]Block, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	ectx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	var (
		blocks []Block
		err    error
	)
	switch mediaType {
	case TypePDF:
		blocks, err = extractPDF(ectx, data, lim)
	case TypeDOCX:
		blocks, err = extractDOCX(ectx, data, lim)
	case TypeHTML:
		blocks, err = extractHTML(ectx, data, lim)
	case TypeMarkdown:
		blocks, err = extractMarkdown(data, lim)
	case TypeText:
		blocks, err = extractText(data, lim)
	default:
		return nil, fmt.Errorf("%w (%s)", ErrUnsupported, mediaType)
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(ectx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w (limit %s)", ErrTimeout, lim.Timeout)
		}
		return nil, err
	}
	total := 0
	out := blocks[:0]
	for _, b := range blocks {
		b.Text = cleanSpace(b.Text)
		if b.Text == "" {
			continue
		}
		total += len(b.Text)
		if total > lim.MaxTextBytes {
			return nil, fmt.Errorf("%w: more than %d bytes of text", ErrTooLarge, lim.MaxTextBytes)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, ErrNoText
	}
	return out, nil
}

// cleanSpace collapses runs of white space and drops invalid UTF-8 and NULs.
func cleanSpace(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	s = strings.ReplaceAll(s, "\x00", " ")
	return strings.Join(strings.Fields(s), " ")
}

// textBlocks splits plain text into paragraphs at blank lines and list items at lines
// that start with a bullet or a number; short title-like lines followed by more text
// become headings (useful for PDF pages).
func textBlocks(text string, page int, detectHeadings bool) []Block {
	var out []Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, Block{Kind: Paragraph, Text: strings.Join(para, " "), Page: page})
			para = nil
		}
	}
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			flush()
		case isBullet(line):
			flush()
			out = append(out, Block{Kind: ListItem, Text: trimBullet(line), Page: page})
		case detectHeadings && len(para) == 0 && looksLikeHeading(line, lines[i+1:]):
			out = append(out, Block{Kind: Heading, Level: 1, Text: line, Page: page})
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

func isBullet(line string) bool {
	for _, p := range []string{"- ", "* ", "• ", "– "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

func trimBullet(line string) string {
	if _, rest, ok := strings.Cut(line, " "); ok {
		return rest
	}
	return line
}

func looksLikeHeading(line string, rest []string) bool {
	words := strings.Fields(line)
	if len(words) == 0 || len(words) > 8 || len(line) > 80 {
		return false
	}
	last := line[len(line)-1]
	if strings.ContainsRune(".,;:!?", rune(last)) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(line)
	if r < 'A' || r > 'Z' {
		return false
	}
	for _, n := range rest {
		if n = strings.TrimSpace(n); n != "" {
			return len(n) > len(line)
		}
	}
	return false
}
