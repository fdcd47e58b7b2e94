package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Limits named in Limiter calls.
const (
	// LimitChat is text chat messages per user (30 a minute by default).
	LimitChat = "chat"
	// LimitCallStart is voice call starts per user (20 a minute by default).
	LimitCallStart = "call_start"
)

// MaxMessageChars bounds one chat message.
const MaxMessageChars = 2000

// Limiter takes one request of a named limit from a user's budget.
type Limiter interface {
	// Take returns allowed false and how long to wait when the budget is
	// spent; an error means the limiter could not decide (the request is
	// then allowed: a limiter outage must not stop training).
	Take(ctx context.Context, limit, key string) (allowed bool, retryAfter time.Duration, err error)
}

// Handler serves ConversationService and joins calls to sessions (it is
// the rtc.Dialogues of the edge's call server). It is safe for concurrent
// use.
type Handler struct {
	sessions *session.Manager
	calls    *rtc.Server
	limiter  Limiter
	log      *slog.Logger
}

var (
	_ conversationv1connect.ConversationServiceHandler = (*Handler)(nil)
	_ rtc.Dialogues                                    = (*Handler)(nil)
)

// New returns a Handler over the session manager; limiter and log may be
// nil (no limits; discarded logs). Attach the call server with SetCalls
// once it exists (it needs the Handler as its Dialogues).
func New(sessions *session.Manager, limiter Limiter, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{sessions: sessions, limiter: limiter, log: log}
}

// SetCalls attaches the call server, for StartCall, EndCall and
// authentication. Call it before serving.
func (h *Handler) SetCalls(calls *rtc.Server) { h.calls = calls }

// authenticate verifies the request's bearer token.
func (h *Handler) authenticate(ctx context.Context, header interface{ Get(string) string }) (session.Owner, error) {
	id, err := h.calls.Authenticate(ctx, bearerOf(header.Get("Authorization")))
	if err != nil {
		return session.Owner{}, unauthenticated()
	}
	return ownerOf(id), nil
}

func bearerOf(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func ownerOf(id rtc.Identity) session.Owner {
	return session.Owner{UserID: id.UserID, DealershipID: id.DealershipID, Role: id.Role, Token: id.Token, Expires: id.Expires}
}

// take applies a rate limit to owner.
func (h *Handler) take(ctx context.Context, limit string, owner session.Owner) error {
	if h.limiter == nil {
		return nil
	}
	ok, after, err := h.limiter.Take(ctx, limit, owner.UserID)
	if err != nil {
		h.log.WarnContext(ctx, "rate limiter unavailable; allowing", "limit", limit, "error", err.Error())
		return nil
	}
	if !ok {
		rateLimitedRequests.WithLabelValues(limit).Inc()
		return rateLimited(after)
	}
	return nil
}

var (
	sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	uuidPattern      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func checkSessionID(id string) []violation {
	if !sessionIDPattern.MatchString(id) {
		return []violation{{"sessionId", "must be the id StartSession returned"}}
	}
	return nil
}

// StartSession opens a coach (MODE_TRAINING) or role-play (MODE_ROLE_PLAY)
// session; a role-play returns the customer's opening.
func (h *Handler) StartSession(ctx context.Context, req *connect.Request[conversationv1.StartSessionRequest]) (*connect.Response[conversationv1.StartSessionResponse], error) {
	owner, err := h.authenticate(ctx, req.Header())
	if err != nil {
		return nil, err
	}
	m := req.Msg
	var vs []violation
	switch m.GetMode() {
	case conversationv1.Mode_MODE_TRAINING:
	case conversationv1.Mode_MODE_ROLE_PLAY:
		if !uuidPattern.MatchString(m.GetScenarioId()) {
			vs = append(vs, violation{"scenarioId", "a role-play needs the id of a scenario (ListScenarios)"})
		}
	default:
		vs = append(vs, violation{"mode", "must be MODE_TRAINING or MODE_ROLE_PLAY"})
	}
	if len(vs) > 0 {
		return nil, invalid(vs...)
	}
	s, err := h.sessions.Start(ctx, owner, m.GetMode(), m.GetScenarioId())
	if err != nil {
		return nil, h.fail(ctx, "start session", err)
	}
	resp := &conversationv1.StartSessionResponse{SessionId: s.ID()}
	if o := s.Opening(); o != "" {
		resp.Opening = &o
	}
	if sc := s.Scenario(); sc != nil {
		resp.ScenarioVersion = sc.GetVersion()
		resp.Persona = sc.GetPersona()
	}
	return connect.NewResponse(resp), nil
}

// SendMessage streams the reply to one text message: deltas, then the
// citations, then a message with done set and what the engine heard.
func (h *Handler) SendMessage(ctx context.Context, req *connect.Request[conversationv1.SendMessageRequest], stream *connect.ServerStream[conversationv1.SendMessageResponse]) error {
	owner, err := h.authenticate(ctx, req.Header())
	if err != nil {
		return err
	}
	m := req.Msg
	vs := checkSessionID(m.GetSessionId())
	text := strings.TrimSpace(m.GetText())
	switch {
	case text == "":
		vs = append(vs, violation{"text", "required"})
	case !utf8.ValidString(text):
		vs = append(vs, violation{"text", "must be UTF-8"})
	case utf8.RuneCountInString(text) > MaxMessageChars:
		vs = append(vs, violation{"text", fmt.Sprintf("at most %d characters", MaxMessageChars)})
	}
	if len(vs) > 0 {
		return invalid(vs...)
	}
	if err := h.take(ctx, LimitChat, owner); err != nil {
		return err
	}
	s, err := h.sessions.Get(owner, m.GetSessionId())
	if err != nil {
		return publicError(err)
	}
	res, err := s.Chat(ctx, text, func(d string) error {
		return stream.Send(&conversationv1.SendMessageResponse{Delta: &d})
	})
	if err != nil {
		return h.fail(ctx, "send message", err)
	}
	if len(res.Citations) > 0 {
		if err := stream.Send(&conversationv1.SendMessageResponse{Citations: res.Citations}); err != nil {
			return fmt.Errorf("send citations: %w", err)
		}
	}
	done := true
	return stream.Send(&conversationv1.SendMessageResponse{Done: &done, Techniques: res.Techniques, Outcome: res.Outcome})
}

// StartCall answers an SDP offer for the session's voice call, like POST
// /v1/calls.
func (h *Handler) StartCall(ctx context.Context, req *connect.Request[conversationv1.StartCallRequest]) (*connect.Response[conversationv1.StartCallResponse], error) {
	id, err := h.calls.Authenticate(ctx, bearerOf(req.Header().Get("Authorization")))
	if err != nil {
		return nil, unauthenticated()
	}
	if sid := req.Msg.GetSessionId(); sid != "" {
		if vs := checkSessionID(sid); len(vs) > 0 {
			return nil, invalid(vs...)
		}
	}
	if strings.TrimSpace(req.Msg.GetSdpOffer()) == "" {
		return nil, invalid(violation{"sdpOffer", "required"})
	}
	callID, answer, err := h.calls.Offer(ctx, id, req.Msg.GetSessionId(), req.Msg.GetSdpOffer())
	if err != nil {
		return nil, h.fail(ctx, "start call", err)
	}
	return connect.NewResponse(&conversationv1.StartCallResponse{CallId: callID, SdpAnswer: answer}), nil
}

// EndCall hangs up a call of the caller's (or, for an admin, of their
// dealership).
func (h *Handler) EndCall(ctx context.Context, req *connect.Request[conversationv1.EndCallRequest]) (*connect.Response[conversationv1.EndCallResponse], error) {
	id, err := h.calls.Authenticate(ctx, bearerOf(req.Header().Get("Authorization")))
	if err != nil {
		return nil, unauthenticated()
	}
	if err := h.calls.Hangup(id, req.Msg.GetCallId()); err != nil {
		return nil, newError(connect.CodeNotFound, reasonNotFound, "no such call")
	}
	return connect.NewResponse(&conversationv1.EndCallResponse{}), nil
}

// EndSession ends the session and returns its scorecard (role-play).
func (h *Handler) EndSession(ctx context.Context, req *connect.Request[conversationv1.EndSessionRequest]) (*connect.Response[conversationv1.EndSessionResponse], error) {
	owner, err := h.authenticate(ctx, req.Header())
	if err != nil {
		return nil, err
	}
	if vs := checkSessionID(req.Msg.GetSessionId()); len(vs) > 0 {
		return nil, invalid(vs...)
	}
	res, err := h.sessions.End(owner, req.Msg.GetSessionId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&conversationv1.EndSessionResponse{Scorecard: res.Scorecard, TurnCount: int32(res.Turns)}), nil
}

// fail logs an unexpected error and returns its public form.
func (h *Handler) fail(ctx context.Context, what string, err error) error {
	pe := publicError(err)
	var ce *connect.Error
	if errors.As(pe, &ce) && (ce.Code() == connect.CodeInternal || ce.Code() == connect.CodeUnavailable) {
		h.log.WarnContext(ctx, what+" failed", "error", err.Error())
	}
	return pe
}

// Join attaches a call to its session — a new coach session when the offer
// names none — after taking a call start from the caller's budget.
func (h *Handler) Join(ctx context.Context, id rtc.Identity, sessionID, callID string) (rtc.Dialogue, error) {
	owner := ownerOf(id)
	if h.limiter != nil {
		if ok, after, err := h.limiter.Take(ctx, LimitCallStart, owner.UserID); err == nil && !ok {
			rateLimitedRequests.WithLabelValues(LimitCallStart).Inc()
			return nil, &rtc.RetryError{Err: rtc.ErrRateLimited, After: after}
		}
	}
	var s *session.Session
	var err error
	if sessionID == "" {
		s, err = h.sessions.Start(ctx, owner, conversationv1.Mode_MODE_TRAINING, "")
	} else {
		s, err = h.sessions.Get(owner, sessionID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", rtc.ErrNoSession, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return JoinCall(s, callID)
}

// JoinCall attaches call callID to session s, as the call server's
// Dialogue of it.
func JoinCall(s *session.Session, callID string) (rtc.Dialogue, error) {
	c, err := s.JoinCall(callID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", rtc.ErrNoSession, err)
	}
	return &callDialogue{Call: c, s: s}, nil
}

// callDialogue is a session call as the call server sees it.
type callDialogue struct {
	*session.Call
	s *session.Session
}

func (d *callDialogue) SessionID() string { return d.s.ID() }
func (d *callDialogue) Voice() string     { return d.s.Voice() }

// TurnDone commits the turn and tells the caller what the engine made of it.
func (d *callDialogue) TurnDone(rec pipeline.TurnRecord) *pipeline.Event {
	res := d.Call.TurnDone(rec)
	if rec.Opening || rec.UserText == "" {
		return nil
	}
	return turnResult(int32(rec.Index), res)
}

func turnResult(turn int32, res dialogue.Result) *pipeline.Event {
	ev := &pipeline.Event{Type: callevent.TypeTurnResult, Turn: turn, Techniques: res.Techniques, Citations: res.Citations}
	if res.Outcome != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		ev.Outcome = res.Outcome
	}
	return ev
}
