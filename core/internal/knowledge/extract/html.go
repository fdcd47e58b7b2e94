package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// extractHTML tokenises with golang.org/x/net/html: h1–h6 become headings, li list
// items, other block elements paragraph breaks; script, style and similar are skipped.
func extractHTML(ctx context.Context, data []byte, _ Limits) ([]Block, error) {
	z := html.NewTokenizer(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	var (
		out   []Block
		cur   strings.Builder
		kind  = Paragraph
		level int
		skip  int
		n     int
	)
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, Block{Kind: kind, Level: level, Text: t})
		}
		cur.Reset()
		kind, level = Paragraph, 0
	}
	for {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			if err := z.Err(); err != nil && err.Error() != "EOF" {
				return nil, fmt.Errorf("%w: unreadable HTML", ErrCorrupt)
			}
			return out, nil
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
				cur.WriteByte(' ')
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "noscript", "template", "svg", "head", "nav", "iframe":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			switch tag {
			case "h1", "h2", "h3", "h4", "h5", "h6":
				flush()
				if tt == html.StartTagToken {
					kind, level = Heading, int(tag[1]-'0')
				}
			case "li":
				flush()
				if tt == html.StartTagToken {
					kind = ListItem
				}
			case "p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote", "pre", "dd", "dt", "header", "footer", "main":
				flush()
			}
		}
	}
}
