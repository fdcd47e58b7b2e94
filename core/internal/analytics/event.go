package analytics

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/validate"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// kind is the type of a session event.
type kind int

const (
	kindStarted kind = iota + 1
	kindTurn
	kindEnded
)

// String names the kind as in the metrics' kind label.
func (k kind) String() string {
	switch k {
	case kindStarted:
		return "started"
	case kindTurn:
		return "turn"
	case kindEnded:
		return "ended"
	}
	return "unknown"
}

// Bounds of the ids an event carries.
const (
	maxSessionID = 64
	maxEventID   = 128
)

// event is one decoded session event and the message it came in (nil when it was not
// consumed from JetStream).
type event struct {
	kind                 kind
	eventID, sessionID   string
	dealershipID, userID string
	at                   time.Time
	started              *eventsv1.SessionStarted
	turn                 *eventsv1.TurnCompleted
	ended                *eventsv1.SessionEnded
	msg                  jetstream.Msg
	delivered            int
}

// decode parses a message's payload as an event of kind k and checks the ids every
// write needs. Errors wrap ErrMalformedEvent.
func decode(k kind, data []byte) (*event, error) {
	e := &event{kind: k}
	var m proto.Message
	switch k {
	case kindStarted:
		e.started = &eventsv1.SessionStarted{}
		m = e.started
	case kindTurn:
		e.turn = &eventsv1.TurnCompleted{}
		m = e.turn
	case kindEnded:
		e.ended = &eventsv1.SessionEnded{}
		m = e.ended
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformedEvent, k)
	}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if err := e.fill(); err != nil {
		return nil, err
	}
	return e, nil
}

// fill copies the common fields out of the message and checks them.
func (e *event) fill() error {
	switch {
	case e.started != nil:
		m := e.started
		e.eventID, e.sessionID, e.dealershipID, e.userID = m.GetEventId(), m.GetSessionId(), m.GetDealershipId(), m.GetUserId()
		e.at = m.GetTime().AsTime()
		if m.GetTime() == nil {
			e.at = time.Now()
		}
	case e.turn != nil:
		m := e.turn
		e.eventID, e.sessionID, e.dealershipID, e.userID = m.GetEventId(), m.GetSessionId(), m.GetDealershipId(), m.GetUserId()
		if m.GetTurn() == nil {
			return fmt.Errorf("%w: turn event %q without a turn", ErrMalformedEvent, e.eventID)
		}
		if m.GetTurn().GetIndex() < 0 {
			return fmt.Errorf("%w: turn event %q with index %d", ErrMalformedEvent, e.eventID, m.GetTurn().GetIndex())
		}
		e.at = m.GetTurn().GetTime().AsTime()
		if m.GetTurn().GetTime() == nil {
			e.at = time.Now()
		}
	case e.ended != nil:
		m := e.ended
		e.eventID, e.sessionID, e.dealershipID, e.userID = m.GetEventId(), m.GetSessionId(), m.GetDealershipId(), m.GetUserId()
		e.at = m.GetTime().AsTime()
		if m.GetTime() == nil {
			e.at = time.Now()
		}
	}
	switch {
	case e.eventID == "" || len(e.eventID) > maxEventID:
		return fmt.Errorf("%w: event id %q", ErrMalformedEvent, e.eventID)
	case !validSessionID(e.sessionID):
		return fmt.Errorf("%w: event %q: session id %q", ErrMalformedEvent, e.eventID, e.sessionID)
	case !validate.IsUUID(e.dealershipID):
		return fmt.Errorf("%w: event %q: dealership id %q", ErrMalformedEvent, e.eventID, e.dealershipID)
	case !validate.IsUUID(e.userID):
		return fmt.Errorf("%w: event %q: user id %q", ErrMalformedEvent, e.eventID, e.userID)
	}
	e.dealershipID, e.userID = canonicalUUID(e.dealershipID), canonicalUUID(e.userID)
	return nil
}

// validSessionID accepts the edge's session ids: 1 to 64 letters, digits, '-' or '_'.
func validSessionID(s string) bool {
	if s == "" || len(s) > maxSessionID {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// canonicalUUID lower-cases a valid UUID, as PostgreSQL prints it.
func canonicalUUID(s string) string {
	u, err := uuid.Parse(s)
	if err != nil {
		return s
	}
	return u.String()
}

// optionalUUID returns s as a canonical UUID, or "" when it is not one (a session
// without a scenario).
func optionalUUID(s string) string {
	if !validate.IsUUID(s) {
		return ""
	}
	return canonicalUUID(s)
}
