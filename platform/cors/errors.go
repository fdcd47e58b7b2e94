package cors

import "errors"

// ErrBadOrigin is wrapped by CheckOrigin's errors: a configured origin that is
// not "*" or an http(s) origin such as https://app.example.com.
var ErrBadOrigin = errors.New("not a browser origin")
