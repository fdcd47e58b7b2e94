// Package server is the core's single HTTP port: Connect, gRPC and gRPC-Web handlers
// (HTTP/1.1 and cleartext HTTP/2), health and metrics, with the shared interceptor chain
// (tracing, metrics, error model, panics to Internal) and a graceful drain on shutdown.
package server
