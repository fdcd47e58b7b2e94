package extract_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
)

// DOCX builds a Word package with the given paragraphs; each is "style|text" where
// style may be empty. Extra entries pad the archive.
func DOCX(tb testing.TB, paras []string, extraEntries int) []byte {
	tb.Helper()
	var body strings.Builder
	for _, p := range paras {
		style, text, _ := strings.Cut(p, "|")
		body.WriteString("<w:p>")
		if style != "" {
			fmt.Fprintf(&body, `<w:pPr><w:pStyle w:val="%s"/></w:pPr>`, style)
		}
		fmt.Fprintf(&body, "<w:r><w:t>%s</w:t></w:r></w:p>", text)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`
	return zipOf(tb, map[string]string{"[Content_Types].xml": `<Types/>`, "word/document.xml": doc}, extraEntries)
}

func zipOf(tb testing.TB, files map[string]string, extra int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	for i := 0; i < extra; i++ {
		w, _ := zw.Create(fmt.Sprintf("pad/%d.xml", i))
		_, _ = w.Write([]byte("x"))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestExtract(t *testing.T) {
	bomb := DOCX(t, []string{"|" + strings.Repeat("a", 2<<20)}, 0)
	tests := []struct {
		name      string
		mediaType string
		data      []byte
		lim       extract.Limits
		wantErr   error
		wantText  []string
		check     func(t *testing.T, bs []extract.Block)
	}{
		{
			name: "pdf keeps pages and headings", mediaType: extract.TypePDF, data: fixture(t, "policy.pdf"),
			check: func(t *testing.T, bs []extract.Block) {
				t.Helper()
				var fin *extract.Block
				for i := range bs {
					if bs[i].Text == "Financing" {
						fin = &bs[i]
					}
				}
				if fin == nil || fin.Kind != extract.Heading || fin.Page != 2 {
					t.Fatalf("no page-2 heading Financing in %+v", bs)
				}
			},
			wantText: []string{"preferred APR of 3.9 percent"},
		},
		{name: "pdf encrypted", mediaType: extract.TypePDF, data: fixture(t, "encrypted.pdf"), wantErr: extract.ErrEncrypted},
		{name: "pdf corrupt", mediaType: extract.TypePDF, data: fixture(t, "corrupt.pdf"), wantErr: extract.ErrCorrupt},
		{name: "pdf page cap", mediaType: extract.TypePDF, data: fixture(t, "five-pages.pdf"), lim: extract.Limits{MaxPages: 3}, wantErr: extract.ErrTooManyPages},
		{name: "pdf without text", mediaType: extract.TypePDF, data: fixture(t, "no-text.pdf"), wantErr: extract.ErrNoText},
		{name: "pdf timeout", mediaType: extract.TypePDF, data: fixture(t, "policy.pdf"), lim: extract.Limits{Timeout: time.Nanosecond}, wantErr: extract.ErrTimeout},
		{name: "empty", mediaType: extract.TypeText, data: nil, wantErr: extract.ErrEmpty},
		{
			name: "docx structure", mediaType: extract.TypeDOCX, data: DOCX(t, []string{"Heading1|Warranty", "|Covers the powertrain.", "ListParagraph|Five years"}, 0),
			check: func(t *testing.T, bs []extract.Block) {
				t.Helper()
				if len(bs) != 3 || bs[0].Kind != extract.Heading || bs[2].Kind != extract.ListItem {
					t.Fatalf("blocks %+v", bs)
				}
			},
		},
		{name: "docx bomb", mediaType: extract.TypeDOCX, data: bomb, lim: extract.Limits{MaxDecompressedBytes: 1 << 20}, wantErr: extract.ErrTooLarge},
		{name: "docx entry cap", mediaType: extract.TypeDOCX, data: DOCX(t, []string{"|x"}, 50), lim: extract.Limits{MaxEntries: 20}, wantErr: extract.ErrTooLarge},
		{name: "zip that is not docx", mediaType: extract.TypeDOCX, data: zipOf(t, map[string]string{"a.txt": "hi"}, 0), wantErr: extract.ErrCorrupt},
		{name: "docx truncated", mediaType: extract.TypeDOCX, data: DOCX(t, []string{"|x"}, 0)[:40], wantErr: extract.ErrCorrupt},
		{name: "text cap", mediaType: extract.TypeText, data: []byte(strings.Repeat("word ", 1000)), lim: extract.Limits{MaxTextBytes: 100}, wantErr: extract.ErrTooLarge},
		{name: "binary in text", mediaType: extract.TypeText, data: []byte("abc\x00\xff"), wantErr: extract.ErrCorrupt},
		{
			name: "html", mediaType: extract.TypeHTML,
			data: []byte(`<html><head><title>t</title><script>var x=1</script></head><body><h2>Service</h2><p>Oil every 10,000 km.</p><ul><li>Tyres</li></ul></body></html>`),
			check: func(t *testing.T, bs []extract.Block) {
				t.Helper()
				if len(bs) != 3 || bs[0].Kind != extract.Heading || bs[0].Level != 2 || bs[2].Kind != extract.ListItem {
					t.Fatalf("blocks %+v", bs)
				}
			},
		},
		{
			name: "markdown", mediaType: extract.TypeMarkdown, data: []byte("# Leasing\n\nA lease runs **36** months.\n\n- Mileage cap\n- Wear check\n"),
			check: func(t *testing.T, bs []extract.Block) {
				t.Helper()
				if len(bs) != 4 || bs[0].Kind != extract.Heading || bs[1].Text != "A lease runs 36 months." || bs[3].Kind != extract.ListItem {
					t.Fatalf("blocks %+v", bs)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := extract.Extract(context.Background(), tc.mediaType, tc.data, tc.lim)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, b := range bs {
				all.WriteString(b.Text + "\n")
			}
			for _, w := range tc.wantText {
				if !strings.Contains(all.String(), w) {
					t.Errorf("missing %q in %s", w, all.String())
				}
			}
			if tc.check != nil {
				tc.check(t, bs)
			}
		})
	}
}
