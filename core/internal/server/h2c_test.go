package server_test

import (
	"net/http"
)

// h2cClient speaks cleartext HTTP/2, as gRPC clients do against the core.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}
