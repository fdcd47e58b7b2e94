package rtc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// CallsPath is the WHIP-style endpoint: POST an offer here, DELETE the
// Location it returns.
const CallsPath = "/v1/calls"

// Handler returns the HTTP handler for POST /v1/calls, PATCH
// /v1/calls/{id} (an ICE restart: a full SDP offer with new ICE
// credentials, answered 200 with the new answer — WHIP restarts with an
// SDP fragment; a full offer is what a browser's createOffer({iceRestart:
// true}) gives, with no fragment to cut) and DELETE /v1/calls/{id}. Errors are plain text, "<REASON>: <message>", with the
// status codes of DESIGN.md: 400 bad offer, 401 bad token, 404 unknown call,
// 405 wrong method, 413 offer too large, 415 not application/sdp, 503 full
// or draining (with Retry-After).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+CallsPath, s.handleOffer)
	mux.HandleFunc("DELETE "+CallsPath+"/{id}", s.handleDelete)
	mux.HandleFunc("PATCH "+CallsPath+"/{id}", s.handleRestart)
	mux.HandleFunc(CallsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "POST")
		httpError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST with an SDP offer")
	})
	mux.HandleFunc(CallsPath+"/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "PATCH, DELETE")
		httpError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use PATCH with an ICE restart offer, or DELETE to end the call")
	})
	return mux
}

func httpError(w http.ResponseWriter, status int, reason, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reason+": "+msg+"\n")
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header.
func BearerToken(h http.Header) string {
	v := h.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// readOffer authenticates the request and reads its SDP offer, answering
// the error itself when it returns ok false.
func (s *Server) readOffer(w http.ResponseWriter, r *http.Request) (Identity, string, bool) {
	id, err := s.Authenticate(r.Context(), BearerToken(r.Header))
	if err != nil {
		s.reject(err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="avatar"`)
		httpError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a valid bearer access token is required")
		return Identity{}, "", false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA", "Content-Type must be application/sdp")
		return Identity{}, "", false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxOfferBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			httpError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "the SDP offer is too large")
			return Identity{}, "", false
		}
		httpError(w, http.StatusBadRequest, "VALIDATION_ERROR", "could not read the offer")
		return Identity{}, "", false
	}
	return id, string(body), true
}

func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request) {
	id, offer, ok := s.readOffer(w, r)
	if !ok {
		return
	}
	answer, err := s.Restart(r.Context(), id, r.PathValue("id"), offer)
	switch {
	case errors.Is(err, ErrNotFound):
		httpError(w, http.StatusNotFound, "NOT_FOUND", "no such call")
		return
	case errors.Is(err, ErrBadOffer):
		httpError(w, http.StatusBadRequest, "VALIDATION_ERROR", "the body is not a usable ICE restart offer for this call")
		return
	case err != nil:
		s.log.LogAttrs(r.Context(), slog.LevelError, "ICE restart", slog.String("error", err.Error()))
		httpError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the ICE restart could not be answered; place a new call")
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, answer)
}

func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request) {
	id, body, ok := s.readOffer(w, r)
	if !ok {
		return
	}
	callID, answer, err := s.Offer(r.Context(), id, r.URL.Query().Get("sessionId"), body)
	if err != nil {
		status, reason, msg := offerStatus(err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		if ra := RetryAfter(err); ra > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds()+0.999)))
		}
		if status >= 500 {
			s.log.LogAttrs(r.Context(), slog.LevelError, "answer offer", slog.String("error", err.Error()))
		}
		httpError(w, status, reason, msg)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", CallsPath+"/"+callID)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// offerStatus maps an Offer error to an HTTP status, reason and a message
// fit for clients.
func offerStatus(err error) (int, string, string) {
	switch {
	case errors.Is(err, ErrNoOpus):
		return http.StatusBadRequest, "UNSUPPORTED_MEDIA", "the offer must carry an Opus audio m-line"
	case errors.Is(err, ErrBadOffer):
		return http.StatusBadRequest, "VALIDATION_ERROR", "the body is not a usable SDP offer"
	case errors.Is(err, ErrNoSession):
		return http.StatusNotFound, "NOT_FOUND", "no such session: start one with StartSession, or leave sessionId out"
	case errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests, "RATE_LIMITED", "too many call starts; try again later"
	case errors.Is(err, ErrFull):
		return http.StatusServiceUnavailable, "UNAVAILABLE", "this edge is at its call limit; try again or another edge"
	case errors.Is(err, ErrDraining), errors.Is(err, ErrShutdown):
		return http.StatusServiceUnavailable, "UNAVAILABLE", "this edge is draining; use another edge"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "UNAVAILABLE", "the request ended before the call was set up"
	default:
		return http.StatusInternalServerError, "INTERNAL", "the call could not be set up"
	}
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	id, err := s.Authenticate(r.Context(), BearerToken(r.Header))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="avatar"`)
		httpError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a valid bearer access token is required")
		return
	}
	if err := s.Hangup(id, r.PathValue("id")); err != nil {
		httpError(w, http.StatusNotFound, "NOT_FOUND", "no such call")
		return
	}
	w.WriteHeader(http.StatusOK)
}
