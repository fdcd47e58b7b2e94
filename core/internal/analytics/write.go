package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
)

// written counts what one write changed: events taken, per kind. An event not counted
// was a duplicate (or belongs to a deleted session).
type written struct {
	started, turns, ended int
}

// setTenantSQL scopes the rest of the transaction to one dealership, as store.InTenant
// does; one write transaction switches between the dealerships of its batch.
const setTenantSQL = `SELECT set_config('avatar.dealership_id', $1, true), set_config('role', '` + store.TenantRole + `', true)`

// startSQL records SessionStarted events: a new session row, or the start filled into a
// row that turns or the end created. A session takes one start event.
const startSQL = `INSERT INTO analytics_sessions AS s (id, dealership_id, user_id, mode, scenario_id,
	scenario_version, region, edge_id, started_at, last_event_at, start_event_id)
SELECT x.id, $1::uuid, x.user_id::uuid, x.mode, NULLIF(x.scenario_id, '')::uuid, x.scenario_version,
	x.region, x.edge_id, x.at, x.at, x.event_id
FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::integer[], $7::text[], $8::text[],
	$9::timestamptz[], $10::text[]) AS x(id, user_id, mode, scenario_id, scenario_version, region, edge_id, at, event_id)
WHERE NOT EXISTS (SELECT 1 FROM analytics_deleted_sessions d WHERE d.session_id = x.id)
ON CONFLICT (id) DO UPDATE SET mode = EXCLUDED.mode, scenario_id = EXCLUDED.scenario_id,
	scenario_version = EXCLUDED.scenario_version, region = EXCLUDED.region, edge_id = EXCLUDED.edge_id,
	started_at = EXCLUDED.started_at, last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at),
	seen_at = now(), start_event_id = EXCLUDED.start_event_id
WHERE s.start_event_id IS NULL`

// stubSQL creates the rows of sessions whose turns arrive before anything else of
// theirs; an existing row is left alone (turnSQL updates it for the turns it takes).
const stubSQL = `INSERT INTO analytics_sessions (id, dealership_id, user_id, region, edge_id, started_at, last_event_at)
SELECT x.id, $1::uuid, x.user_id::uuid, x.region, x.edge_id, x.at, x.at
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS x(id, user_id, region, edge_id, at)
WHERE NOT EXISTS (SELECT 1 FROM analytics_deleted_sessions d WHERE d.session_id = x.id)
ON CONFLICT (id) DO NOTHING`

// turnSQL records TurnCompleted events, each once (the event id is the key), and moves
// their sessions' activity and turn count for the turns it took, not for duplicates.
// Turns of a deleted session have no session row and are skipped.
const turnSQL = `WITH x AS (
	SELECT * FROM unnest($2::text[], $3::text[], $4::integer[], $5::text[], $6::timestamptz[], $7::text[],
		$8::text[], $9::boolean[], $10::real[], $11::real[], $12::real[], $13::real[], $14::real[], $15::real[],
		$16::bytea[]) AS x(event_id, session_id, turn_index, region, at, speaker, user_text, unanswered,
		endpoint_ms, stt_final_ms, first_text_ms, first_audio_ms, first_packet_ms, turn_gap_ms, body)
), taken AS (
	INSERT INTO analytics_turns (event_id, session_id, dealership_id, turn_index, region, at, speaker,
		user_text, unanswered, endpoint_ms, stt_final_ms, first_text_ms, first_audio_ms, first_packet_ms,
		turn_gap_ms, body)
	SELECT x.event_id, x.session_id, $1::uuid, x.turn_index, x.region, x.at, x.speaker, x.user_text,
		x.unanswered, x.endpoint_ms, x.stt_final_ms, x.first_text_ms, x.first_audio_ms, x.first_packet_ms,
		x.turn_gap_ms, x.body
	FROM x WHERE EXISTS (SELECT 1 FROM analytics_sessions s WHERE s.id = x.session_id)
	ON CONFLICT (event_id) DO NOTHING
	RETURNING session_id, at, speaker
), agg AS (
	SELECT session_id, min(at) AS lo, max(at) AS hi, count(*) AS n, count(*) FILTER (WHERE speaker = '') AS trainee
	FROM taken GROUP BY session_id
), moved AS (
	UPDATE analytics_sessions s SET last_event_at = GREATEST(s.last_event_at, agg.hi),
		started_at = CASE WHEN s.start_event_id IS NULL THEN LEAST(s.started_at, agg.lo) ELSE s.started_at END,
		recorded_turns = s.recorded_turns + agg.trainee, seen_at = now()
	FROM agg WHERE s.id = agg.session_id
)
SELECT COALESCE(sum(n), 0)::integer FROM agg`

// endSQL records SessionEnded events: the end, reason and scorecard go into the session
// row (created when nothing else of the session arrived), once per session; an
// abandoned session still takes its late end. Ending queues the session.ended webhook
// when $22 is set. The scorecard items of the sessions it ended are written with it.
const endSQL = `WITH x AS (
	SELECT * FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::integer[], $7::text[],
		$8::text[], $9::timestamptz[], $10::text[], $11::integer[], $12::float8[], $13::smallint[],
		$14::bytea[], $15::text[]) AS x(id, user_id, mode, scenario_id, scenario_version, region, edge_id,
		at, reason, turns, score, outcome, scorecard, event_id)
), ended AS (
	INSERT INTO analytics_sessions AS s (id, dealership_id, user_id, mode, scenario_id, scenario_version,
		region, edge_id, started_at, last_event_at, ended_at, end_reason, reported_turns, overall_score,
		outcome, scorecard, end_event_id, webhook_due_at)
	SELECT x.id, $1::uuid, x.user_id::uuid, x.mode, NULLIF(x.scenario_id, '')::uuid, x.scenario_version,
		x.region, x.edge_id, x.at, x.at, x.at, x.reason, x.turns, x.score, x.outcome, x.scorecard, x.event_id,
		CASE WHEN $22::boolean THEN now() END
	FROM x WHERE NOT EXISTS (SELECT 1 FROM analytics_deleted_sessions d WHERE d.session_id = x.id)
	ON CONFLICT (id) DO UPDATE SET
		mode = CASE WHEN s.mode = 0 THEN EXCLUDED.mode ELSE s.mode END,
		scenario_id = COALESCE(s.scenario_id, EXCLUDED.scenario_id),
		scenario_version = CASE WHEN s.scenario_version = 0 THEN EXCLUDED.scenario_version ELSE s.scenario_version END,
		region = CASE WHEN s.region = '' THEN EXCLUDED.region ELSE s.region END,
		edge_id = CASE WHEN s.edge_id = '' THEN EXCLUDED.edge_id ELSE s.edge_id END,
		last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at),
		ended_at = GREATEST(s.last_event_at, EXCLUDED.ended_at), end_reason = EXCLUDED.end_reason,
		reported_turns = EXCLUDED.reported_turns, overall_score = EXCLUDED.overall_score,
		outcome = EXCLUDED.outcome, scorecard = EXCLUDED.scorecard, end_event_id = EXCLUDED.end_event_id,
		seen_at = now(), webhook_due_at = EXCLUDED.webhook_due_at, webhook_attempts = 0
	WHERE s.end_event_id IS NULL
	RETURNING s.id, s.user_id
), items AS (
	INSERT INTO analytics_scorecard_items (session_id, position, dealership_id, user_id, technique, criterion,
		score, max_score)
	SELECT i.session_id, i.position, $1::uuid, e.user_id, i.technique, i.criterion, i.score, i.max_score
	FROM unnest($16::text[], $17::integer[], $18::smallint[], $19::text[], $20::float8[], $21::float8[])
		AS i(session_id, position, technique, criterion, score, max_score)
	JOIN ended e ON e.id = i.session_id
	ON CONFLICT (session_id, position) DO NOTHING
)
SELECT count(*)::integer FROM ended`

// write records evs in one transaction: per dealership, the starts, the rows of
// sessions first seen in a turn, the turns and the ends, in that order. Duplicates
// (redeliveries, and the same event twice in evs) write nothing. An error leaves
// nothing written.
func (s *Service) write(ctx context.Context, evs []*event) (written, error) {
	groups := map[string][]*event{}
	var order []string
	for _, e := range evs {
		if _, ok := groups[e.dealershipID]; !ok {
			order = append(order, e.dealershipID)
		}
		groups[e.dealershipID] = append(groups[e.dealershipID], e)
	}
	slices.Sort(order) // a fixed order across writers
	var w written
	err := store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		w = written{}
		b := &pgx.Batch{}
		var results []func(pgx.BatchResults) error
		for _, d := range order {
			results = append(results, s.queue(b, d, groups[d], &w)...)
		}
		br := tx.SendBatch(ctx, b)
		for _, r := range results {
			if err := r(br); err != nil {
				_ = br.Close()
				return err
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("write session events: %w", err)
		}
		return nil
	})
	if err != nil {
		return written{}, err
	}
	return w, nil
}

// queue adds the statements for one dealership's events to b and returns how to read
// their results into w, in the order queued.
func (s *Service) queue(b *pgx.Batch, dealership string, evs []*event, w *written) []func(pgx.BatchResults) error {
	var starts, turns, ends []*event
	seen := map[string]bool{}
	for _, e := range evs {
		// The same event twice in one batch (a redelivery racing its first delivery), or
		// a second start or end of a session, would make one statement change a row twice.
		key := e.kind.String() + "|" + e.eventID
		if e.kind != kindTurn {
			key = e.kind.String() + "|" + e.sessionID
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		switch e.kind {
		case kindStarted:
			starts = append(starts, e)
		case kindTurn:
			turns = append(turns, e)
		case kindEnded:
			ends = append(ends, e)
		}
	}
	exec := func(what string) func(pgx.BatchResults) error {
		return func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
	}
	count := func(what string, into *int) func(pgx.BatchResults) error {
		return func(br pgx.BatchResults) error {
			var n int
			if err := br.QueryRow().Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			*into += n
			return nil
		}
	}
	out := []func(pgx.BatchResults) error{}
	b.Queue(setTenantSQL, dealership)
	out = append(out, exec("set tenant"))
	if len(starts) > 0 {
		b.Queue(startSQL, startArgs(dealership, starts)...)
		out = append(out, func(br pgx.BatchResults) error {
			tag, err := br.Exec()
			if err != nil {
				return fmt.Errorf("record session starts: %w", err)
			}
			w.started += int(tag.RowsAffected())
			return nil
		})
	}
	if len(turns) > 0 {
		b.Queue(stubSQL, stubArgs(dealership, turns)...)
		out = append(out, exec("record sessions of turns"))
		b.Queue(turnSQL, turnArgs(dealership, turns)...)
		out = append(out, count("record turns", &w.turns))
	}
	if len(ends) > 0 {
		b.Queue(endSQL, endArgs(dealership, ends, s.cfg.Webhooks != nil)...)
		out = append(out, count("record session ends", &w.ended))
	}
	return out
}

func startArgs(dealership string, evs []*event) []any {
	n := len(evs)
	ids, users, scenarios, regions, edges, eventIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	modes, versions := make([]int16, n), make([]int32, n)
	at := make([]time.Time, n)
	for i, e := range evs {
		m := e.started
		ids[i], users[i], eventIDs[i], at[i] = e.sessionID, e.userID, e.eventID, e.at
		modes[i], scenarios[i], versions[i] = int16(m.GetMode()), optionalUUID(m.GetScenarioId()), m.GetScenarioVersion()
		regions[i], edges[i] = m.GetRegion(), m.GetEdgeId()
	}
	return []any{dealership, ids, users, modes, scenarios, versions, regions, edges, at, eventIDs}
}

// stubArgs has one row per session of the turns: its earliest turn.
func stubArgs(dealership string, evs []*event) []any {
	first := map[string]*event{}
	var order []string
	for _, e := range evs {
		f, ok := first[e.sessionID]
		if !ok {
			order = append(order, e.sessionID)
		}
		if !ok || e.at.Before(f.at) {
			first[e.sessionID] = e
		}
	}
	slices.Sort(order)
	n := len(order)
	ids, users, regions, edges := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, id := range order {
		e := first[id]
		ids[i], users[i], regions[i], edges[i], at[i] = id, e.userID, e.turn.GetRegion(), e.turn.GetEdgeId(), e.at
	}
	return []any{dealership, ids, users, regions, edges, at}
}

// stageColumns are the stages with a column of their own, in the columns' order.
var stageColumns = []string{callevent.StageEndpoint, callevent.StageSTTFinal, callevent.StageFirstText,
	callevent.StageFirstAudio, callevent.StageFirstPacket, callevent.StageTurnGap}

func turnArgs(dealership string, evs []*event) []any {
	n := len(evs)
	eventIDs, sessions, regions, speakers, texts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	index := make([]int32, n)
	at := make([]time.Time, n)
	unanswered := make([]bool, n)
	stages := make([][]*float32, len(stageColumns))
	for j := range stages {
		stages[j] = make([]*float32, n)
	}
	bodies := make([][]byte, n)
	for i, e := range evs {
		t := withCall(e.turn)
		eventIDs[i], sessions[i], regions[i], at[i] = e.eventID, e.sessionID, e.turn.GetRegion(), e.at
		index[i], speakers[i], texts[i], unanswered[i] = t.GetIndex(), t.GetSpeaker(), t.GetUserText(), t.GetUnanswered()
		for _, l := range t.GetLatencies() {
			if j := slices.Index(stageColumns, l.GetStage()); j >= 0 {
				v := float32(l.GetMilliseconds())
				stages[j][i] = &v
			}
		}
		body, err := proto.MarshalOptions{Deterministic: true}.Marshal(t)
		if err != nil { // a message that decoded marshals again
			body = nil
		}
		bodies[i] = body
	}
	args := []any{dealership, eventIDs, sessions, index, regions, at, speakers, texts, unanswered}
	for _, s := range stages {
		args = append(args, s)
	}
	return append(args, bodies)
}

// withCall returns the event's turn with the call id of the event in it.
func withCall(m interface {
	GetTurn() *analyticsv1.Turn
	GetCallId() string
}) *analyticsv1.Turn {
	t := m.GetTurn()
	if m.GetCallId() == "" || t.GetCallId() != "" {
		return t
	}
	t = proto.CloneOf(t)
	t.CallId = m.GetCallId()
	return t
}

func endArgs(dealership string, evs []*event, webhooks bool) []any {
	n := len(evs)
	ids, users, scenarios, regions, edges, reasons, eventIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	modes, outcomes := make([]int16, n), make([]int16, n)
	versions, turns := make([]int32, n), make([]int32, n)
	at := make([]time.Time, n)
	scores := make([]*float64, n)
	cards := make([][]byte, n)
	var itemSession, itemCriterion []string
	var itemPosition []int32
	var itemTechnique []int16
	var itemScore, itemMax []float64
	for i, e := range evs {
		m := e.ended
		ids[i], users[i], eventIDs[i], at[i] = e.sessionID, e.userID, e.eventID, e.at
		modes[i], scenarios[i], versions[i] = int16(m.GetMode()), optionalUUID(m.GetScenarioId()), m.GetScenarioVersion()
		regions[i], edges[i], turns[i] = m.GetRegion(), m.GetEdgeId(), m.GetTurnCount()
		reasons[i] = m.GetReason()
		if reasons[i] == "" {
			reasons[i] = "ended"
		}
		if card := m.GetScorecard(); card != nil {
			score := card.GetOverallScore()
			scores[i] = &score
			outcomes[i] = int16(card.GetOutcome())
			cards[i], _ = proto.MarshalOptions{Deterministic: true}.Marshal(card)
			for p, it := range card.GetItems() {
				itemSession = append(itemSession, e.sessionID)
				itemPosition = append(itemPosition, int32(p))
				itemTechnique = append(itemTechnique, int16(it.GetTechnique()))
				itemCriterion = append(itemCriterion, it.GetCriterion())
				itemScore = append(itemScore, it.GetScore())
				itemMax = append(itemMax, it.GetMaxScore())
			}
		}
	}
	return []any{dealership, ids, users, modes, scenarios, versions, regions, edges, at, reasons, turns, scores,
		outcomes, cards, eventIDs, itemSession, itemPosition, itemTechnique, itemCriterion, itemScore, itemMax, webhooks}
}

// refused reports whether err is the database refusing the data (a constraint, a
// row-level-security check, a bad value) rather than failing to take it: trying again
// will not help.
func refused(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return len(pe.Code) == 5 && (pe.Code[:2] == "22" || pe.Code[:2] == "23" || pe.Code == "42501")
}
