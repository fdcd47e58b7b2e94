package extract_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
)

// storedZip builds a ZIP archive of stored entries written in the given order, with
// their sizes in the local file headers as Word writes them, so that a prefix of the
// archive shows several entry names. entries alternate name and content.
func storedZip(tb testing.TB, entries ...string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		content := []byte(entries[i+1])
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               entries[i],
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(content),
			CompressedSize64:   uint64(len(content)),
			UncompressedSize64: uint64(len(content)),
		})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// head returns the first n bytes of b, as the knowledge service passes them to Sniff.
func head(tb testing.TB, b []byte, n int) []byte {
	tb.Helper()
	if len(b) <= n {
		tb.Fatalf("fixture of %d bytes is not longer than the %d-byte head", len(b), n)
	}
	return b[:n]
}

func TestSniff(t *testing.T) {
	const bmw = "BMW Financial Services lease guide\n\nA lease runs 36 months with a 10,000-mile allowance.\n\n- Wear and tear check at return\n- Purchase option at the residual value\n"
	lp := fmt.Sprintf("%-34sLP%s", "Loyalty programme, lease returns:", " customers keep their rate.\n")
	pad := strings.Repeat("<x/>", 80)
	wordDOCX := storedZip(t, "[Content_Types].xml", "<Types/>"+pad, "_rels/.rels", "<Relationships/>"+pad, "word/document.xml", "<w:document/>"+pad)
	tests := []struct {
		name, filename, claimed string
		data                    []byte
		// stdlib, when set, is what net/http.DetectContentType calls the bytes; it
		// proves that a case really trips a binary signature.
		stdlib   string
		want     string
		wantErr  error
		wantText string // when set, extraction of the sniffed type yields this text
	}{
		{name: "pdf", filename: "x.txt", data: fixture(t, "policy.pdf"), want: extract.TypePDF},
		{name: "pdf head", filename: "x.txt", data: head(t, fixture(t, "policy.pdf"), 512), want: extract.TypePDF},
		{name: "pdf with binary comment line", data: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), want: extract.TypePDF},
		{name: "docx", filename: "x.pdf", data: DOCX(t, []string{"|hi"}, 0), want: extract.TypeDOCX},
		{name: "docx head as Word orders it", filename: "x.docx", data: head(t, wordDOCX, 512), want: extract.TypeDOCX},
		{name: "docx head with data descriptors", filename: "x.docx", data: head(t, DOCX(t, []string{"|hi"}, 20), 512), want: extract.TypeDOCX},
		{name: "html", data: []byte("<!DOCTYPE html><html><body><p>hi</p></body></html>"), want: extract.TypeHTML},
		{name: "html after a byte-order mark", data: []byte("\xef\xbb\xbf<!DOCTYPE html><html><body><p>hi</p></body></html>"), want: extract.TypeHTML, wantText: "hi"},
		{name: "markdown by content", data: []byte("# Title\n\ntext"), want: extract.TypeMarkdown},
		{name: "markdown by name", filename: "a.md", data: []byte("text"), want: extract.TypeMarkdown},
		{name: "text", filename: "a.pdf", data: []byte("plain words"), want: extract.TypeText},
		{name: "xml stays text", data: []byte(`<?xml version="1.0"?><note>Rates</note>`), want: extract.TypeText},

		// Text whose first bytes match a binary signature is still text.
		{name: "BMW lease guide as txt", filename: "bmw-lease-guide.txt", data: []byte(bmw), stdlib: "image/bmp", want: extract.TypeText, wantText: "BMW Financial Services lease guide"},
		{name: "BMW lease guide as md", filename: "bmw-lease-guide.md", data: []byte(bmw), stdlib: "image/bmp", want: extract.TypeMarkdown, wantText: "Purchase option at the residual value"},
		{name: "BMW lease guide claimed markdown", filename: "guide", claimed: "text/markdown; charset=utf-8", data: []byte(bmw), stdlib: "image/bmp", want: extract.TypeMarkdown},
		{name: "BMW after a byte-order mark", filename: "bmw.txt", data: []byte("\xef\xbb\xbf" + bmw), want: extract.TypeText, wantText: "BMW Financial Services"},
		{name: "LP at byte 34", filename: "loyalty.txt", data: []byte(lp), stdlib: "application/vnd.ms-fontobject", want: extract.TypeText, wantText: "Loyalty programme"},
		{name: "GIF8 prose", filename: "notes.txt", data: []byte("GIF89a files are not allowed in the showroom displays.\n"), stdlib: "image/gif", want: extract.TypeText},
		{name: "PK prose", filename: "notes.txt", data: []byte("PK Motors finance desk handbook\n"), want: extract.TypeText},
		{name: "PostScript header prose", filename: "notes.md", data: []byte("%!PS-Adobe-3.0 is how the old printer names its jobs.\n"), stdlib: "application/postscript", want: extract.TypeMarkdown},
		{name: "PDF header prose", filename: "notes.txt", data: []byte("%PDF-1.7 is the format for signed contracts.\n"), stdlib: "application/pdf", want: extract.TypeText},
		{name: "RIFF WAVE prose", filename: "notes.txt", data: []byte("RIFF or WAVE? Neither: this is a memo.\n"), stdlib: "audio/wave", want: extract.TypeText},
		{name: "form feed tab and CRLF", filename: "a.txt", data: []byte("Page one\tcolumn\r\n\fPage two\r\n"), want: extract.TypeText},
		{name: "rune cut at the end of the head", filename: "a.txt", data: []byte(strings.Repeat("a", 511) + "€ more")[:512], want: extract.TypeText},
		{name: "cyrillic", filename: "a.txt", data: []byte("Договор лизинга BMW: срок 36 месяцев."), want: extract.TypeText, wantText: "срок 36 месяцев"},
		{name: "greek", filename: "a.txt", data: []byte("Οδηγός χρηματοδότησης αυτοκινήτου."), want: extract.TypeText},
		{name: "arabic", filename: "a.txt", data: []byte("دليل التأجير التمويلي للسيارات"), want: extract.TypeText},
		{name: "hebrew", filename: "a.txt", data: []byte("מדריך ליסינג לרכב"), want: extract.TypeText},
		{name: "chinese", filename: "a.txt", data: []byte("宝马金融服务租赁指南：租期三十六个月。"), want: extract.TypeText},
		{name: "japanese", filename: "a.txt", data: []byte("リース契約のご案内。走行距離の上限があります。"), want: extract.TypeText},
		{name: "devanagari", filename: "a.txt", data: []byte("वाहन लीज़ मार्गदर्शिका"), want: extract.TypeText},
		{name: "emoji", filename: "a.txt", data: []byte("Lease 🚗 approved ✅"), want: extract.TypeText},

		// Text with control bytes or in another encoding is refused.
		{name: "stray NUL", filename: "bmw.txt", data: []byte("BMW Financial Services\x00 lease guide"), wantErr: extract.ErrUnsupported},
		{name: "stray control byte", filename: "a.txt", data: []byte("lease\x01guide"), wantErr: extract.ErrUnsupported},
		{name: "escape byte", filename: "a.txt", data: []byte("\x1b[31mlease guide"), wantErr: extract.ErrUnsupported},
		{name: "delete byte", filename: "a.txt", data: []byte("lease\x7fguide"), wantErr: extract.ErrUnsupported},
		{name: "latin-1", filename: "a.txt", data: []byte("Caf\xe9 lease guide"), wantErr: extract.ErrUnsupported},
		{name: "invalid byte at the end", filename: "a.txt", data: []byte("lease guide\xff"), wantErr: extract.ErrUnsupported},
		{name: "utf-16", filename: "a.txt", data: []byte("\xff\xfeB\x00M\x00W\x00"), wantErr: extract.ErrUnsupported},

		// Real binaries are refused whatever their name or claimed type.
		{name: "png renamed pdf", filename: "a.pdf", claimed: "application/pdf", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), wantErr: extract.ErrUnsupported},
		{name: "jpeg renamed txt", filename: "a.txt", claimed: "text/plain", data: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"), wantErr: extract.ErrUnsupported},
		{name: "gif", filename: "a.md", data: []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), wantErr: extract.ErrUnsupported},
		{name: "bmp", filename: "a.txt", data: []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), wantErr: extract.ErrUnsupported},
		{name: "embedded opentype font", filename: "a.txt", data: append(bytes.Repeat([]byte{0x01, 0x00}, 17), "LP\x00\x00"...), wantErr: extract.ErrUnsupported},
		{name: "woff", filename: "a.txt", data: []byte("wOFF\x00\x01\x00\x00\x00\x00\x04\x00"), wantErr: extract.ErrUnsupported},
		{name: "mp3", filename: "a.txt", data: []byte("ID3\x04\x00\x00\x00\x00\x00\x23TSSE"), wantErr: extract.ErrUnsupported},
		{name: "mp4", filename: "a.txt", data: []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"), wantErr: extract.ErrUnsupported},
		{name: "wav", filename: "a.txt", data: []byte("RIFF\x24\x08\x00\x00WAVEfmt "), wantErr: extract.ErrUnsupported},
		{name: "windows executable", filename: "a.docx", data: []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), wantErr: extract.ErrUnsupported},
		{name: "elf renamed docx", filename: "a.docx", data: []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), wantErr: extract.ErrUnsupported},
		{name: "gzip", filename: "a.txt", data: []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), wantErr: extract.ErrUnsupported},
		{name: "7z", filename: "a.docx", data: []byte("7z\xbc\xaf\x27\x1c\x00\x04"), wantErr: extract.ErrUnsupported},
		{name: "zip", filename: "a.docx", data: zipOf(t, map[string]string{"notes.txt": "hi"}, 0), wantErr: extract.ErrUnsupported},
		{name: "zip without content types", filename: "a.docx", data: zipOf(t, map[string]string{"word/document.xml": "<w:document/>"}, 0), wantErr: extract.ErrUnsupported},
		{name: "xlsx", filename: "a.docx", data: zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}, 0), wantErr: extract.ErrUnsupported},
		{name: "zip head", filename: "a.docx", data: head(t, storedZip(t, "notes.txt", pad, "more.txt", pad), 512), wantErr: extract.ErrUnsupported},
		{name: "xlsx head", filename: "a.docx", data: head(t, storedZip(t, "[Content_Types].xml", "<Types/>", "xl/workbook.xml", pad, "xl/styles.xml", pad), 512), wantErr: extract.ErrUnsupported},
		{name: "odt head", filename: "a.docx", data: head(t, storedZip(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", pad+pad), 512), wantErr: extract.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stdlib != "" {
				if ct := http.DetectContentType(tc.data); !strings.HasPrefix(ct, tc.stdlib) {
					t.Fatalf("precondition: net/http calls the bytes %q, not %q", ct, tc.stdlib)
				}
			}
			got, err := extract.Sniff(tc.data, tc.filename, tc.claimed)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if tc.wantText == "" {
				return
			}
			bs, err := extract.Extract(context.Background(), got, tc.data, extract.Limits{})
			if err != nil {
				t.Fatalf("extract %s: %v", got, err)
			}
			var all strings.Builder
			for _, b := range bs {
				all.WriteString(b.Text + "\n")
			}
			if !strings.Contains(all.String(), tc.wantText) || strings.ContainsRune(all.String(), '\ufeff') {
				t.Fatalf("extracted %q, want it to contain %q and no byte-order mark", all.String(), tc.wantText)
			}
		})
	}
}

// cleanText maps arbitrary bytes to valid UTF-8 without control bytes other than \t,
// \n, \f and \r: invalid sequences become U+FFFD and control bytes spaces. Input that
// is already such text is returned unchanged, so every such text can be generated.
func cleanText(b []byte) []byte {
	return []byte(strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\f' && r != '\r') || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "\ufffd")))
}

// FuzzTextNeverRefused checks that valid UTF-8 without control bytes, whatever binary
// signature it starts with and whatever its name or claimed type, is accepted as text
// (plain, Markdown or HTML; PDF only when it starts with the PDF header), that its
// 512-byte head is too, and that extracting it does not call it damaged.
func FuzzTextNeverRefused(f *testing.F) {
	seeds := []string{
		"BMW Financial Services lease guide\n\nA lease runs 36 months.\n",
		fmt.Sprintf("%-34sLP rates for loyal customers.\n", "Loyalty programme, lease returns:"),
		"GIF87a and GIF89a prose", "PK Motors handbook", "%!PS-Adobe-3.0 memo", "%PDF-1.7 prose",
		"MZ is a model code", "ID3 notes", "OggS notes", "RIFF or WAVE? A memo.", "wOFF memo",
		"OTTO memo", "fLaC memo", "7z memo", "\x1f\x8b", "\x89PNG\r\n\x1a\n", "\xff\xd8\xff",
		"\xef\xbb\xbfBMW with a byte-order mark", "<?xml version=\"1.0\"?>", "{\\rtf1 memo}",
		"<!DOCTYPE html><p>hi</p>", "Договор лизинга", "宝马金融服务", "€" + strings.Repeat("a", 510) + "€",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "guide.txt", "text/plain")
	}
	f.Add([]byte(seeds[0]), "guide.md", "text/markdown")
	f.Add([]byte(seeds[0]), "photo.bmp", "image/bmp")
	f.Fuzz(func(t *testing.T, raw []byte, filename, claimed string) {
		data := cleanText(raw)
		if !utf8.Valid(data) || !bytes.Equal(cleanText(data), data) {
			t.Fatalf("cleanText(%q) = %q is not clean text", raw, data)
		}
		inputs := [][]byte{data}
		if len(data) > 512 {
			inputs = append(inputs, data[:512])
		}
		for _, in := range inputs {
			got, err := extract.Sniff(in, filename, claimed)
			if err != nil {
				t.Fatalf("Sniff(%q, %q, %q) refused text: %v", in, filename, claimed, err)
			}
			switch got {
			case extract.TypeText, extract.TypeMarkdown, extract.TypeHTML:
			case extract.TypePDF:
				if !bytes.HasPrefix(in, []byte("%PDF-")) {
					t.Fatalf("Sniff(%q) = PDF without the PDF header", in)
				}
				return
			default:
				t.Fatalf("Sniff(%q) = %q, want a text type", in, got)
			}
		}
		got, _ := extract.Sniff(data, filename, claimed)
		_, err := extract.Extract(context.Background(), got, data, extract.Limits{})
		if errors.Is(err, extract.ErrUnsupported) || errors.Is(err, extract.ErrCorrupt) {
			t.Fatalf("Extract(%s, %q): %v", got, data, err)
		}
	})
}
