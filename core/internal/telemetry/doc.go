// Package telemetry sets up the core's observability: JSON slog lines that carry the
// request id and trace id, the Prometheus RPC metrics interceptor, and the OpenTelemetry
// tracer provider (OTLP over HTTP when an endpoint is configured).
package telemetry
