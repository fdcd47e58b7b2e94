package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
)

// Redacted replaces the value of every secret field.
const Redacted = "[REDACTED]"

var writeErrors = promauto.NewCounter(prometheus.CounterOpts{
	Name: "avatar_audit_write_errors_total",
	Help: "Audit events that could not be written.",
})

// Event is one audit record.
type Event struct {
	ID, DealershipID, ActorID, ActorEmail string
	// Action is the procedure, e.g. "avatar.org.v1.OrgService/CreateUser".
	Action                   string
	ResourceType, ResourceID string
	// Changed maps lowerCamelCase field names to new values, secrets redacted.
	Changed       map[string]string
	IP, UserAgent string
	Time          time.Time
}

// Log writes and lists audit events. Safe for concurrent use.
type Log struct {
	db     *pgxpool.Pool
	policy *authz.Policy
	log    *slog.Logger
}

// New returns a Log over db; policy decides which procedures the Interceptor records.
func New(db *pgxpool.Pool, policy *authz.Policy, log *slog.Logger) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Log{db: db, policy: policy, log: log}
}

// Record writes e. Empty DealershipID records a cross-tenant (super-admin) event.
func (l *Log) Record(ctx context.Context, e Event) error {
	changed, err := json.Marshal(e.Changed)
	if err != nil {
		return fmt.Errorf("encode changed fields: %w", err)
	}
	var did any
	if e.DealershipID != "" {
		did = e.DealershipID
	}
	_, err = l.db.Exec(ctx, `INSERT INTO audit_events (dealership_id, actor_id, actor_email, action, resource_type, resource_id, changed_fields, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, did, e.ActorID, e.ActorEmail, e.Action, e.ResourceType, e.ResourceID, changed, e.IP, e.UserAgent)
	if err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

// List returns up to limit events, newest first, strictly before (before, beforeID) when
// before is non-zero. A non-empty dealershipID restricts to that dealership and runs
// under its row-level security; empty lists every dealership (super admins).
func (l *Log) List(ctx context.Context, dealershipID string, limit int, before time.Time, beforeID string) ([]Event, error) {
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		beforeID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	}
	var out []Event
	run := func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, COALESCE(dealership_id::text, ''), actor_id, actor_email, action, resource_type, resource_id,
			changed_fields, ip, user_agent, created_at FROM audit_events
			WHERE ($1 = '' OR dealership_id = NULLIF($1, '')::uuid) AND (created_at, id) < ($2, $3::uuid)
			ORDER BY created_at DESC, id DESC LIMIT $4`, dealershipID, before, beforeID, limit)
		if err != nil {
			return fmt.Errorf("list audit events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			var changed []byte
			if err := rows.Scan(&e.ID, &e.DealershipID, &e.ActorID, &e.ActorEmail, &e.Action, &e.ResourceType, &e.ResourceID, &changed, &e.IP, &e.UserAgent, &e.Time); err != nil {
				return fmt.Errorf("scan audit event: %w", err)
			}
			_ = json.Unmarshal(changed, &e.Changed)
			out = append(out, e)
		}
		return rows.Err()
	}
	var err error
	if dealershipID == "" {
		err = store.InTx(ctx, l.db, run)
	} else {
		err = store.InTenant(ctx, l.db, dealershipID, run)
	}
	return out, err
}

// Interceptor records successful calls of audited procedures. Install it after the
// authn interceptor, so the principal is known.
func (l *Log) Interceptor() connect.Interceptor { return interceptor{l} }

type interceptor struct{ l *Log }

func (i interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if err == nil && !req.Spec().IsClient && i.audited(req.Spec().Procedure) {
			reqMsg, _ := req.Any().(proto.Message)
			var resMsg proto.Message
			if res != nil {
				resMsg, _ = res.Any().(proto.Message)
			}
			i.l.record(ctx, req.Spec().Procedure, reqMsg, resMsg)
		}
		return res, err
	}
}

func (i interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if !i.audited(conn.Spec().Procedure) {
			return next(ctx, conn)
		}
		rec := &recordingConn{StreamingHandlerConn: conn}
		err := next(ctx, rec)
		if err == nil {
			i.l.record(ctx, conn.Spec().Procedure, rec.first, rec.last)
		}
		return err
	}
}

func (i interceptor) audited(procedure string) bool {
	r, ok := i.l.policy.Rule(procedure)
	return ok && r.Audit
}

// recordingConn keeps the first message received and the last one sent.
type recordingConn struct {
	connect.StreamingHandlerConn
	first, last proto.Message
}

func (c *recordingConn) Receive(m any) error {
	err := c.StreamingHandlerConn.Receive(m)
	if err == nil && c.first == nil {
		if pm, ok := m.(proto.Message); ok {
			c.first = proto.Clone(pm)
		}
	}
	return err
}

func (c *recordingConn) Send(m any) error {
	if pm, ok := m.(proto.Message); ok {
		c.last = pm
	}
	return c.StreamingHandlerConn.Send(m)
}

func (l *Log) record(ctx context.Context, procedure string, req, res proto.Message) {
	p, _ := principal.From(ctx)
	client := authn.ClientFrom(ctx)
	e := Event{
		ActorID: p.UserID, ActorEmail: p.Email, DealershipID: p.DealershipID,
		Action: strings.TrimPrefix(procedure, "/"), ResourceType: resourceType(procedure),
		IP: client.IP, UserAgent: client.UserAgent, Changed: map[string]string{},
	}
	if req != nil {
		fields(req.ProtoReflect(), "", e.Changed)
		e.ResourceID = stringField(req.ProtoReflect(), "id")
	}
	if res != nil {
		// The created or changed object: the first message field of the response.
		rm := res.ProtoReflect()
		rm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
				obj := v.Message()
				if e.ResourceID == "" {
					e.ResourceID = stringField(obj, "id")
				}
				if e.DealershipID == "" {
					e.DealershipID = stringField(obj, "dealership_id")
					if e.DealershipID == "" && e.ResourceType == "dealership" {
						e.DealershipID = e.ResourceID
					}
				}
				return false
			}
			return true
		})
	}
	if e.DealershipID == "" && req != nil {
		e.DealershipID = stringField(req.ProtoReflect(), "dealership_id")
	}
	if err := l.Record(context.WithoutCancel(ctx), e); err != nil {
		writeErrors.Inc()
		l.log.ErrorContext(ctx, "audit event lost", "action", e.Action, "error", err.Error())
	}
}

var verbs = []string{"Create", "Update", "Delete", "Deactivate", "Revoke", "Set", "Upload", "Enroll", "Confirm", "Disable"}

// resourceType turns ".../CreateApiKey" into "api_key".
func resourceType(procedure string) string {
	m := procedure[strings.LastIndexByte(procedure, '/')+1:]
	for _, v := range verbs {
		if strings.HasPrefix(m, v) && len(m) > len(v) {
			m = m[len(v):]
			break
		}
	}
	var b strings.Builder
	for i, r := range m {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func stringField(m protoreflect.Message, name string) string {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.Get(fd).String()
}

var secretWords = []string{"password", "secret", "token", "code", "private", "credential", "otpauth", "api_key_value"}

func isSecret(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// fields flattens the populated fields of m into out, one level of nesting deep.
func fields(m protoreflect.Message, prefix string, out map[string]string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := prefix + fd.JSONName()
		switch {
		case isSecret(string(fd.Name())):
			out[name] = Redacted
		case fd.IsList():
			out[name] = fmt.Sprintf("[%d items]", v.List().Len())
		case fd.IsMap():
			out[name] = fmt.Sprintf("{%d entries}", v.Map().Len())
		case fd.Kind() == protoreflect.BytesKind:
			out[name] = fmt.Sprintf("<%d bytes>", len(v.Bytes()))
		case fd.Kind() == protoreflect.MessageKind:
			if prefix == "" {
				fields(v.Message(), name+".", out)
			}
		case fd.Kind() == protoreflect.EnumKind:
			if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
				out[name] = string(ev.Name())
			} else {
				out[name] = fmt.Sprint(v.Enum())
			}
		default:
			s := v.String()
			if len(s) > 256 {
				s = s[:256] + "…"
			}
			out[name] = s
		}
		return true
	})
}
