package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

func extractText(data []byte, _ Limits) ([]Block, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrCorrupt)
	}
	return textBlocks(strings.ReplaceAll(string(data), "\r\n", "\n"), 0, false), nil
}

func extractMarkdown(data []byte, _ Limits) ([]Block, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrCorrupt)
	}
	doc := goldmark.New().Parser().Parse(text.NewReader(data))
	var out []Block
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch v := c.(type) {
			case *ast.Heading:
				out = append(out, Block{Kind: Heading, Level: v.Level, Text: inlineText(v, data)})
			case *ast.ListItem:
				out = append(out, Block{Kind: ListItem, Text: inlineText(v, data)})
			case *ast.Paragraph, *ast.TextBlock:
				out = append(out, Block{Kind: Paragraph, Text: inlineText(v, data)})
			case *ast.FencedCodeBlock, *ast.CodeBlock:
				out = append(out, Block{Kind: Paragraph, Text: linesText(v, data)})
			case *ast.HTMLBlock:
				// Raw HTML in Markdown is not prose; skip it.
			default:
				walk(c)
			}
		}
	}
	walk(doc)
	return out, nil
}

// inlineText concatenates the text below n, separating blocks and soft breaks by spaces.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := c.(type) {
		case *ast.Text:
			b.Write(v.Segment.Value(src))
			if v.SoftLineBreak() || v.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(v.Value)
		case *ast.AutoLink:
			b.Write(v.URL(src))
		case *ast.Paragraph, *ast.TextBlock:
			b.WriteByte(' ')
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func linesText(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

var pagesRe = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

func extractPDF(ctx context.Context, data []byte, lim Limits) ([]Block, error) {
	f, err := os.CreateTemp("", "avatar-pdf-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	defer func() { _ = os.Remove(f.Name()) }() // a temporary copy: nothing to report if it lingers
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	info, stderr, err := run(ctx, "pdfinfo", f.Name())
	if err != nil {
		return nil, pdfError(ctx, stderr, err)
	}
	m := pagesRe.FindSubmatch(info)
	if m == nil {
		return nil, fmt.Errorf("%w: no page count", ErrCorrupt)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if pages > lim.MaxPages {
		return nil, fmt.Errorf("%w: %d pages, the limit is %d", ErrTooManyPages, pages, lim.MaxPages)
	}
	out, stderr, err := run(ctx, "pdftotext", "-enc", "UTF-8", "-eol", "unix", "-l", strconv.Itoa(lim.MaxPages), f.Name(), "-")
	if err != nil {
		return nil, pdfError(ctx, stderr, err)
	}
	if len(out) > lim.MaxTextBytes {
		return nil, fmt.Errorf("%w: more than %d bytes of text", ErrTooLarge, lim.MaxTextBytes)
	}
	var blocks []Block
	for i, page := range strings.Split(string(out), "\f") {
		blocks = append(blocks, textBlocks(page, i+1, true)...)
	}
	return blocks, nil
}

func pdfError(ctx context.Context, stderr []byte, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("run poppler: %w", err)
	}
	if bytes.Contains(stderr, []byte("Incorrect password")) {
		return ErrEncrypted
	}
	return fmt.Errorf("%w: not a readable PDF", ErrCorrupt)
}

// run executes a tool with a bounded output and returns stdout and stderr.
func run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &capped{buf: &stdout, max: 64 << 20}
	cmd.Stderr = &capped{buf: &stderr, max: 64 << 10}
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// capped is a writer that keeps at most max bytes and then fails the writer.
type capped struct {
	buf *bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		return 0, ErrTooLarge
	}
	return c.buf.Write(p)
}
