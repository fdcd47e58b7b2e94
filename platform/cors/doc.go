// Package cors answers browser cross-origin requests for the services' HTTP
// APIs: the core's Connect, gRPC-Web and health endpoints, and the edge's
// ConversationService and WHIP-style call endpoint (POST, PATCH and DELETE
// /v1/calls). Only the configured origins are answered; a preflight from any
// other origin, or asking for a method or a request header outside the lists
// below, is refused with 403 and no CORS headers, so the browser blocks the
// request.
//
// Requests from an allowed origin may use the methods GET, POST, PATCH and DELETE and
// the request headers Content-Type (Connect's and gRPC-Web's, and
// application/sdp for calls), Authorization (bearer tokens), the Connect and
// gRPC-Web protocol headers and whatever Config.AllowHeaders adds. Responses
// expose the gRPC status headers, Retry-After and Location (the WHIP call's
// URL) plus Config.ExposeHeaders.
//
// The core and the edge wrap their muxes with Handler, so both answer browsers
// by the same rules:
//
//	h := cors.Handler(cors.Config{Origins: cfg.CORSOrigins}, mux)
package cors
