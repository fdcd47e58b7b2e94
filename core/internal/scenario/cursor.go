package scenario

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// cursor is the position after the last scenario of a list page, in the list's order:
// built-in scenarios first, then the dealership's own, each by lower-case title, then
// id. The page token carries the whole sort key (not just an id to look up), so the next
// page starts at the right place even when that scenario was renamed or deleted
// meanwhile. pagetoken's (time, id) tokens cannot carry a title; these are opaque in the
// same way: URL-safe base64, checked on decode.
type cursor struct {
	builtIn bool
	title   string
	id      string
}

const cursorVersion = "s1"

// maxToken bounds a token: a 200-character title is at most 800 bytes of UTF-8.
const maxToken = 2048

func (c cursor) encode() string {
	b := "0"
	if c.builtIn {
		b = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "|" + b + "|" + c.id + "|" + c.title))
}

// decodeCursor parses a token from encode; "" is the first page (ok false).
func decodeCursor(tok string) (c cursor, ok bool, err error) {
	if tok == "" {
		return cursor{}, false, nil
	}
	if len(tok) > maxToken {
		return cursor{}, false, ErrInvalidPageToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return cursor{}, false, ErrInvalidPageToken
	}
	parts := strings.SplitN(string(raw), "|", 4)
	if len(parts) != 4 || parts[0] != cursorVersion || (parts[1] != "0" && parts[1] != "1") {
		return cursor{}, false, ErrInvalidPageToken
	}
	if _, err := uuid.Parse(parts[2]); err != nil || len(parts[2]) != 36 {
		return cursor{}, false, ErrInvalidPageToken
	}
	if !utf8.ValidString(parts[3]) || utf8.RuneCountInString(parts[3]) > maxTitle {
		return cursor{}, false, ErrInvalidPageToken
	}
	return cursor{builtIn: parts[1] == "1", id: parts[2], title: parts[3]}, true, nil
}
