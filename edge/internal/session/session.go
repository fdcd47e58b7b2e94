package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Owner is the trainee a session belongs to, with the credentials the
// engines call the core with.
type Owner struct {
	UserID       string
	DealershipID string
	// Role is the avatar.org.v1.Role name.
	Role string
	// Token is the owner's latest access token and Expires its expiry; a
	// newer one from a later request replaces it (Session.Refresh).
	Token   string
	Expires time.Time
}

// Spec is what a new session's engine is built from.
type Spec struct {
	SessionID  string
	Owner      Owner
	Mode       conversationv1.Mode
	ScenarioID string
	// Credentials returns the owner's current credentials, for engines that
	// call the core during the session.
	Credentials func() Owner
}

// Built is what an EngineFactory returns.
type Built struct {
	Engine dialogue.Engine
	// Scenario is the scenario version a role-play plays (nil for the
	// coach).
	Scenario *scenariov1.Scenario
}

// EngineFactory builds a session's engine: the coach for MODE_TRAINING,
// the scenario's customer for MODE_ROLE_PLAY. Errors it returns wrapping
// ErrNotFound or ErrInvalid are the caller's; others are the edge's.
type EngineFactory func(ctx context.Context, spec Spec) (Built, error)

// Publisher sends the session's events to the core (events.Publisher). Its
// methods must not block.
type Publisher interface {
	SessionStarted(*eventsv1.SessionStarted)
	TurnCompleted(*eventsv1.TurnCompleted)
	SessionEnded(*eventsv1.SessionEnded)
}

// Defaults of Config.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxSessions = 10000
	DefaultMaxTurns    = 400
)

// Config sets up a Manager.
type Config struct {
	// NewEngine builds each session's engine; required.
	NewEngine EngineFactory
	// Events, optional, receives the session events.
	Events Publisher
	// Region and EdgeID label the events.
	Region, EdgeID string
	// IdleTimeout ends a session with no activity and no live call
	// (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxSessions bounds the sessions held (default DefaultMaxSessions).
	MaxSessions int
	// MaxTurns bounds the turns of one session (default DefaultMaxTurns).
	MaxTurns int
	// Logger receives the sessions' logs (default: discarded).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Manager holds the edge's sessions. It is safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool
}

// New returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.NewEngine == nil {
		return nil, fmt.Errorf("%w: NewEngine is required", ErrConfig)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxTurns <= 0 {
		cfg.MaxTurns = DefaultMaxTurns
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{cfg: cfg, log: cfg.Logger, sessions: map[string]*Session{}}, nil
}

// Session is one live conversation. Its methods are safe for concurrent use.
type Session struct {
	m          *Manager
	id         string
	mode       conversationv1.Mode
	scenario   *scenariov1.Scenario
	engine     dialogue.Engine
	opening    string
	log        *slog.Logger
	chatSlot   chan struct{} // one text message at a time
	started    time.Time
	userID     string
	dealership string

	mu         sync.Mutex
	owner      Owner
	turns      int // trainee turns recorded, text and voice
	lastActive time.Time
	liveCalls  int
	ended      bool
	callSeq    int
}

// Start opens a session for owner: it builds the engine (fetching the
// scenario for a role-play) and publishes SessionStarted and, for a
// role-play, the customer's opening as turn 0.
func (m *Manager) Start(ctx context.Context, owner Owner, mode conversationv1.Mode, scenarioID string) (*Session, error) {
	switch mode {
	case conversationv1.Mode_MODE_TRAINING:
		scenarioID = ""
	case conversationv1.Mode_MODE_ROLE_PLAY:
		if strings.TrimSpace(scenarioID) == "" {
			return nil, fmt.Errorf("%w: a role-play needs a scenario", ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: mode %v", ErrInvalid, mode)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: the edge is shutting down", ErrFull)
	}
	if len(m.sessions) >= m.cfg.MaxSessions {
		m.mu.Unlock()
		return nil, ErrFull
	}
	m.mu.Unlock()

	s := &Session{
		m: m, id: newID(), mode: mode, owner: owner, chatSlot: make(chan struct{}, 1),
		started: m.cfg.Now(), userID: owner.UserID, dealership: owner.DealershipID,
	}
	s.lastActive = s.started
	s.log = m.log.With("session_id", s.id, "user_id", owner.UserID, "mode", mode.String())
	built, err := m.cfg.NewEngine(ctx, Spec{SessionID: s.id, Owner: owner, Mode: mode, ScenarioID: scenarioID, Credentials: s.credentials})
	if err != nil {
		return nil, err
	}
	s.engine, s.scenario = built.Engine, built.Scenario
	s.opening = s.engine.Opening()

	m.mu.Lock()
	if len(m.sessions) >= m.cfg.MaxSessions || m.closed {
		m.mu.Unlock()
		return nil, ErrFull
	}
	m.sessions[s.id] = s
	m.mu.Unlock()
	activeSessions.Inc()

	if p := m.cfg.Events; p != nil {
		p.SessionStarted(&eventsv1.SessionStarted{
			SessionId: s.id, UserId: s.userID, DealershipId: s.dealership, Mode: mode,
			ScenarioId: s.scenario.GetId(), ScenarioVersion: s.scenario.GetVersion(),
			Region: m.cfg.Region, EdgeId: m.cfg.EdgeID, Time: timestamppb.New(s.started),
			EventId: s.id + ":started",
		})
		if s.opening != "" {
			p.TurnCompleted(s.turnEvent(&analyticsv1.Turn{
				Index: 0, ReplyText: s.opening, Speaker: "customer", Time: timestamppb.New(s.started),
				Channel: conversationv1.Channel_CHANNEL_TEXT,
			}, ""))
		}
	}
	s.log.Info("session started", "scenario_id", s.scenario.GetId(), "scenario_version", s.scenario.GetVersion())
	return s, nil
}

// Get returns owner's live session id; ErrNotFound when there is none or
// it is another user's.
func (m *Manager) Get(owner Owner, id string) (*Session, error) {
	m.mu.Lock()
	s := m.sessions[id]
	m.mu.Unlock()
	if s == nil || s.userID != owner.UserID || owner.UserID == "" {
		return nil, ErrNotFound
	}
	s.Refresh(owner)
	return s, nil
}

// Len returns the number of live sessions.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Result is what an ended session leaves.
type Result struct {
	// Scorecard grades a role-play; nil for the coach.
	Scorecard *scenariov1.Scorecard
	// Turns is the number of trainee turns.
	Turns int
}

// End ends owner's session id: grades it, publishes SessionEnded and forgets
// it. Live calls of the session go on without it being graded again.
func (m *Manager) End(owner Owner, id string) (Result, error) {
	s, err := m.Get(owner, id)
	if err != nil {
		return Result{}, err
	}
	return m.end(s, "ended")
}

func (m *Manager) end(s *Session, reason string) (Result, error) {
	m.mu.Lock()
	if m.sessions[s.id] != s {
		m.mu.Unlock()
		return Result{}, ErrNotFound
	}
	delete(m.sessions, s.id)
	m.mu.Unlock()
	activeSessions.Dec()
	s.mu.Lock()
	s.ended = true
	turns := s.turns
	s.mu.Unlock()
	card := s.engine.Grade()
	if p := m.cfg.Events; p != nil {
		p.SessionEnded(&eventsv1.SessionEnded{
			SessionId: s.id, UserId: s.userID, DealershipId: s.dealership, Region: m.cfg.Region,
			TurnCount: int32(turns), Scorecard: card, Time: timestamppb.New(m.cfg.Now()),
			EventId: s.id + ":ended", Mode: s.mode, ScenarioId: s.scenario.GetId(),
			ScenarioVersion: s.scenario.GetVersion(), EdgeId: m.cfg.EdgeID, Reason: reason,
		})
	}
	sessionsEnded.WithLabelValues(reason).Inc()
	s.log.Info("session ended", "reason", reason, "turns", turns, "score", card.GetOverallScore(), "outcome", card.GetOutcome().String())
	return Result{Scorecard: card, Turns: turns}, nil
}

// Run ends idle sessions every minute until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.Sweep()
		}
	}
}

// Sweep ends the sessions idle for IdleTimeout without a live call.
func (m *Manager) Sweep() {
	now := m.cfg.Now()
	var idle []*Session
	m.mu.Lock()
	for _, s := range m.sessions {
		s.mu.Lock()
		if s.liveCalls == 0 && now.Sub(s.lastActive) >= m.cfg.IdleTimeout {
			idle = append(idle, s)
		}
		s.mu.Unlock()
	}
	m.mu.Unlock()
	for _, s := range idle {
		_, _ = m.end(s, "idle")
	}
}

// Close ends every session (reason "shutdown") and refuses new ones.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	all := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	for _, s := range all {
		_, _ = m.end(s, "shutdown")
	}
}

// ID returns the session's id.
func (s *Session) ID() string { return s.id }

// Mode returns the session's mode.
func (s *Session) Mode() conversationv1.Mode { return s.mode }

// Scenario returns the scenario version a role-play plays; nil for the
// coach.
func (s *Session) Scenario() *scenariov1.Scenario { return s.scenario }

// Opening returns the other party's first line, or "".
func (s *Session) Opening() string { return s.opening }

// Voice returns the persona's voice name ("" for the coach: the edge's
// default voice).
func (s *Session) Voice() string { return s.scenario.GetPersona().GetVoice() }

// Refresh keeps the newest credentials of the owner, for engines that call
// the core later in the session.
func (s *Session) Refresh(owner Owner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner.Token != "" && (owner.Expires.After(s.owner.Expires) || s.owner.Token == "") {
		s.owner.Token, s.owner.Expires = owner.Token, owner.Expires
	}
}

func (s *Session) credentials() Owner {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owner
}

// touch marks activity; it fails when the session ended or is full.
func (s *Session) touch(newTurn bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return 0, ErrEnded
	}
	s.lastActive = s.m.cfg.Now()
	if s.turns >= s.m.cfg.MaxTurns {
		return 0, ErrTooManyTurns
	}
	if !newTurn {
		return s.turns, nil
	}
	s.turns++
	return s.turns, nil
}

// Chat answers one text message: the reply streams to out, and once it is
// written (or the stream breaks) the engine commits what was sent and the
// turn is published. Messages of one session are answered one at a time.
func (s *Session) Chat(ctx context.Context, text string, out func(delta string) error) (dialogue.Result, error) {
	select {
	case s.chatSlot <- struct{}{}:
	case <-ctx.Done():
		return dialogue.Result{}, context.Cause(ctx)
	}
	defer func() { <-s.chatSlot }()
	if _, err := s.touch(false); err != nil {
		return dialogue.Result{}, err
	}
	t0 := s.m.cfg.Now()
	p, err := s.engine.Prepare(ctx, text)
	if err != nil {
		return dialogue.Result{}, fmt.Errorf("prepare reply: %w", err)
	}
	var sent strings.Builder
	var firstText time.Duration
	err = p.Stream(ctx, func(d string) error {
		if sent.Len() == 0 && d != "" {
			firstText = s.m.cfg.Now().Sub(t0)
		}
		sent.WriteString(d)
		return out(d)
	})
	idx, terr := s.touch(true)
	if terr != nil {
		return dialogue.Result{}, terr
	}
	s.engine.Commit(p, sent.String())
	res := p.Result()
	turn := &analyticsv1.Turn{
		Index: int32(idx), UserText: text, ReplyText: sent.String(), Time: timestamppb.New(t0),
		Techniques: res.Techniques, Channel: conversationv1.Channel_CHANNEL_TEXT,
		Citations: res.Citations, Unanswered: res.Unanswered,
		Latencies: []*analyticsv1.StageLatency{{Stage: callevent.StageFirstText, Milliseconds: ms(firstText)}},
	}
	if p := s.m.cfg.Events; p != nil {
		p.TurnCompleted(s.turnEvent(turn, ""))
	}
	turnsRecorded.WithLabelValues("text").Inc()
	if err != nil {
		return res, fmt.Errorf("stream reply: %w", err)
	}
	return res, nil
}

func (s *Session) turnEvent(t *analyticsv1.Turn, callID string) *eventsv1.TurnCompleted {
	return &eventsv1.TurnCompleted{
		SessionId: s.id, UserId: s.userID, DealershipId: s.dealership, Region: s.m.cfg.Region,
		Turn: t, EventId: s.id + ":" + strconv.Itoa(int(t.GetIndex())), EdgeId: s.m.cfg.EdgeID, CallId: callID,
	}
}

// JoinCall attaches a voice call to the session: the returned Call answers
// the call's turns with the session's engine. End it when the call ends.
func (s *Session) JoinCall(callID string) (*Call, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return nil, ErrEnded
	}
	s.liveCalls++
	s.callSeq++
	s.lastActive = s.m.cfg.Now()
	c := &Call{s: s, id: callID, pending: map[int]map[string]dialogue.Prepared{}}
	if s.turns == 0 {
		c.opening = s.opening // the customer opens a call nobody has spoken in yet
	}
	return c, nil
}

// Call is one voice call's view of its session: the pipeline's Responder,
// and the turn records that commit replies as heard. It is safe for
// concurrent use.
type Call struct {
	s       *Session
	id      string
	opening string

	mu      sync.Mutex
	pending map[int]map[string]dialogue.Prepared // call turn → trainee text → reply
	ended   bool
}

var _ pipeline.Responder = (*Call)(nil)

// Opening returns what the call plays first: the customer's opening when
// the session has had no turn yet, else "".
func (c *Call) Opening() string { return c.opening }

// Respond prepares the reply to a turn's transcript (final, or speculative
// at a pause) and streams it. Nothing is committed until the turn's record
// arrives (TurnDone): a speculative reply dropped because the trainee went
// on leaves the conversation as it was.
func (c *Call) Respond(ctx context.Context, req pipeline.Request, out func(delta string) error) error {
	if _, err := c.s.touch(false); err != nil {
		return err
	}
	p, err := c.s.engine.Prepare(ctx, req.Text)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	c.mu.Lock()
	if c.pending[req.Turn] == nil {
		c.pending[req.Turn] = map[string]dialogue.Prepared{}
	}
	c.pending[req.Turn][req.Text] = p
	c.mu.Unlock()
	return p.Stream(ctx, out)
}

// TurnDone records a completed turn of the call: the reply the trainee heard
// (up to a barge-in) is committed, or the line is observed when no reply
// was heard; the turn is published with the session's numbering. It returns
// what the engine made of the turn, for the call's turn_result event.
func (c *Call) TurnDone(rec pipeline.TurnRecord) dialogue.Result {
	c.mu.Lock()
	var p dialogue.Prepared
	if byText := c.pending[rec.Index]; byText != nil {
		p = byText[rec.UserText]
	}
	for k := range c.pending {
		if k <= rec.Index {
			delete(c.pending, k)
		}
	}
	c.mu.Unlock()
	if rec.Opening {
		return dialogue.Result{} // published with the session's start
	}
	if rec.UserText == "" {
		return dialogue.Result{}
	}
	idx, err := c.s.touch(true)
	if err != nil {
		return dialogue.Result{}
	}
	var res dialogue.Result
	if p != nil && rec.ReplyText != "" {
		c.s.engine.Commit(p, rec.ReplyText)
		res = p.Result()
	} else {
		c.s.engine.Observe(rec.UserText)
		if p != nil {
			res = p.Result()
			res.Citations = nil // nothing of the answer was heard
		}
	}
	turn := &analyticsv1.Turn{
		Index: int32(idx), UserText: rec.UserText, ReplyText: rec.ReplyText, BargeIn: rec.BargeIn,
		Time: timestamppb.New(rec.Time), Techniques: res.Techniques, Channel: conversationv1.Channel_CHANNEL_VOICE,
		Citations: res.Citations, Unanswered: res.Unanswered, UserSpeechMs: ms(rec.Speech),
	}
	for _, stage := range callevent.Stages {
		if d, ok := rec.Stages[stage]; ok {
			turn.Latencies = append(turn.Latencies, &analyticsv1.StageLatency{Stage: stage, Milliseconds: ms(d)})
		}
	}
	if pub := c.s.m.cfg.Events; pub != nil {
		pub.TurnCompleted(c.s.turnEvent(turn, c.id))
	}
	turnsRecorded.WithLabelValues("voice").Inc()
	return res
}

// End detaches the call from its session. It is safe to call twice.
func (c *Call) End() {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.pending = nil
	c.mu.Unlock()
	c.s.mu.Lock()
	c.s.liveCalls--
	c.s.lastActive = c.s.m.cfg.Now()
	c.s.mu.Unlock()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
