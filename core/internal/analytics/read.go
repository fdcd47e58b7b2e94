package analytics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// List and report sizes.
const (
	// DefaultPageSize is the session list's page size when none is asked for.
	DefaultPageSize = 50
	// MaxPageSize is the largest session list page.
	MaxPageSize = 200
	// recentSessions is how many sessions GetUserAnalytics lists.
	recentSessions = 10
	// trendLength is how many graded sessions the score trend holds.
	trendLength = 50
	// topN bounds the technique and question lists.
	topN = 10
)

const sessionColumns = `s.id, s.user_id::text, s.dealership_id::text, s.mode, COALESCE(s.scenario_id::text, ''),
	s.region, s.started_at, s.ended_at, s.recorded_turns, s.overall_score, s.end_reason, s.scenario_version, s.outcome`

func scanSession(r pgx.Row) (*analyticsv1.Session, error) {
	var (
		x       analyticsv1.Session
		mode    int16
		outcome int16
		started time.Time
		ended   *time.Time
	)
	if err := r.Scan(&x.Id, &x.UserId, &x.DealershipId, &mode, &x.ScenarioId, &x.Region, &started, &ended,
		&x.TurnCount, &x.OverallScore, &x.EndReason, &x.ScenarioVersion, &outcome); err != nil {
		return nil, err
	}
	x.Mode, x.Outcome = conversationv1.Mode(mode), scenariov1.Outcome(outcome)
	x.StartTime = timestamppb.New(started)
	if ended != nil {
		x.EndTime = timestamppb.New(*ended)
	}
	return &x, nil
}

// ListSessions returns a page of dealershipID's sessions, newest first, all users' or
// only userID's. pageSize 0 means DefaultPageSize, capped at MaxPageSize; next is the
// following page's token, "" on the last. A token not from ListSessions is
// ErrInvalidPageToken.
func (s *Service) ListSessions(ctx context.Context, dealershipID, userID string, pageSize int, pageToken string) (sessions []*analyticsv1.Session, next string, err error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	afterTime, afterID, err := pagetoken.Decode(pageToken)
	if err != nil {
		return nil, "", ErrInvalidPageToken
	}
	var after *time.Time
	if pageToken != "" {
		after = &afterTime
	}
	err = store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		sessions, next = nil, ""
		var err error
		sessions, err = listSessions(ctx, tx, dealershipID, userID, after, afterID, pageSize+1)
		if err != nil {
			return err
		}
		if len(sessions) > pageSize {
			sessions = sessions[:pageSize]
			last := sessions[pageSize-1]
			next = pagetoken.Encode(last.StartTime.AsTime(), last.Id)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return sessions, next, nil
}

func listSessions(ctx context.Context, tx pgx.Tx, dealershipID, userID string, after *time.Time, afterID string, limit int) ([]*analyticsv1.Session, error) {
	rows, err := tx.Query(ctx, `SELECT `+sessionColumns+` FROM analytics_sessions s
		WHERE s.dealership_id = $1 AND ($2 = '' OR s.user_id = NULLIF($2, '')::uuid)
			AND ($3::timestamptz IS NULL OR (s.started_at, s.id) < ($3, $4))
		ORDER BY s.started_at DESC, s.id DESC LIMIT $5`, dealershipID, userID, after, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*analyticsv1.Session, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// GetSession returns session id of dealershipID with its turns in order, its scorecard
// (nil when ungraded) and its conversation measures. A non-empty userID limits it to
// that user's sessions (a trainee's view). Another dealership's or user's session, or
// an unknown one, is ErrSessionNotFound.
func (s *Service) GetSession(ctx context.Context, dealershipID, userID, id string) (*analyticsv1.GetSessionResponse, error) {
	if !validSessionID(id) {
		return nil, ErrSessionNotFound
	}
	out := &analyticsv1.GetSessionResponse{}
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		var card []byte
		row := tx.QueryRow(ctx, `SELECT `+sessionColumns+`, s.scorecard FROM analytics_sessions s
			WHERE s.id = $1 AND s.dealership_id = $2 AND ($3 = '' OR s.user_id = NULLIF($3, '')::uuid)`, id, dealershipID, userID)
		sess, err := scanSession(scanExtra{row, &card})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrSessionNotFound
		}
		if err != nil {
			return fmt.Errorf("read session: %w", err)
		}
		out.Session = sess
		if card != nil {
			out.Scorecard = &scenariov1.Scorecard{}
			if err := proto.Unmarshal(card, out.Scorecard); err != nil {
				return fmt.Errorf("decode scorecard of session %s: %w", id, err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT body FROM analytics_turns WHERE session_id = $1 ORDER BY turn_index, at, event_id`, id)
		if err != nil {
			return fmt.Errorf("read turns: %w", err)
		}
		bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return fmt.Errorf("read turns: %w", err)
		}
		out.Turns = make([]*analyticsv1.Turn, 0, len(bodies))
		for _, b := range bodies {
			t := &analyticsv1.Turn{}
			if err := proto.Unmarshal(b, t); err != nil {
				return fmt.Errorf("decode a turn of session %s: %w", id, err)
			}
			out.Turns = append(out.Turns, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Measures = Measure(out.Turns)
	return out, nil
}

// scanExtra scans a session row followed by more columns.
type scanExtra struct {
	row   pgx.Row
	extra any
}

func (r scanExtra) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

// knownUser answers ErrUserNotFound unless userID is one of dealershipID's users or has
// a session in it.
func knownUser(ctx context.Context, tx pgx.Tx, dealershipID, userID string) error {
	var known bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND dealership_id = $2)
		OR EXISTS (SELECT 1 FROM analytics_sessions WHERE user_id = $1 AND dealership_id = $2)`, userID, dealershipID).Scan(&known); err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	if !known {
		return ErrUserNotFound
	}
	return nil
}

// UserAnalytics reports userID's progress in dealershipID over the sessions started
// since since (the zero time: every session kept): session count, practice time,
// average score and its trend, the latest sessions and the rubric techniques most often
// missed. A user who is not the dealership's and has no session in it is
// ErrUserNotFound.
func (s *Service) UserAnalytics(ctx context.Context, dealershipID, userID string, since time.Time) (*analyticsv1.GetUserAnalyticsResponse, error) {
	if !validate.IsUUID(userID) {
		return nil, ErrUserNotFound
	}
	userID = canonicalUUID(userID)
	out := &analyticsv1.GetUserAnalyticsResponse{UserId: userID}
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		if err := knownUser(ctx, tx, dealershipID, userID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*)::integer, count(overall_score)::integer,
				COALESCE(avg(overall_score), 0)::float8, `+practiceSQL+`
			FROM analytics_sessions WHERE dealership_id = $1 AND user_id = $2 AND started_at >= $3`,
			dealershipID, userID, since).Scan(&out.SessionCount, &out.GradedSessionCount, &out.AverageScore, &out.PracticeSeconds); err != nil {
			return fmt.Errorf("summarise sessions: %w", err)
		}
		var err error
		if out.RecentSessions, err = listSessions(ctx, tx, dealershipID, userID, nil, "", recentSessions); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, started_at, overall_score FROM (
				SELECT id, started_at, overall_score FROM analytics_sessions
				WHERE dealership_id = $1 AND user_id = $2 AND started_at >= $3 AND overall_score IS NOT NULL
				ORDER BY started_at DESC, id DESC LIMIT $4) t
			ORDER BY started_at, id`, dealershipID, userID, since, trendLength)
		if err != nil {
			return fmt.Errorf("score trend: %w", err)
		}
		out.ScoreTrend, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*analyticsv1.ScorePoint, error) {
			var p analyticsv1.ScorePoint
			var at time.Time
			if err := r.Scan(&p.SessionId, &at, &p.Score); err != nil {
				return nil, err
			}
			p.Time = timestamppb.New(at)
			return &p, nil
		})
		if err != nil {
			return fmt.Errorf("score trend: %w", err)
		}
		out.MissedTechniques, err = techniqueStats(ctx, tx, dealershipID, userID, since)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.ScoreSlope = slope(out.ScoreTrend)
	return out, nil
}

// practiceSQL sums the sessions' durations in seconds (an open session counts up to its
// last event).
const practiceSQL = `COALESCE(sum(GREATEST(EXTRACT(EPOCH FROM (COALESCE(ended_at, last_event_at) - started_at)), 0)), 0)::float8`

// slope is the least-squares slope of the scores over their positions.
func slope(points []*analyticsv1.ScorePoint) float64 {
	n := float64(len(points))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, p := range points {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+p.Score, sxx+x*x, sxy+x*p.Score
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// techniqueStats lists the rubric techniques that cost points in dealershipID's graded
// sessions started since since (one user's when userID is set), most often missed first.
func techniqueStats(ctx context.Context, tx pgx.Tx, dealershipID, userID string, since time.Time) ([]*analyticsv1.TechniqueStat, error) {
	rows, err := tx.Query(ctx, `SELECT i.technique, count(*) FILTER (WHERE i.score < i.max_score)::integer, count(*)::integer,
			COALESCE(sum(GREATEST(i.max_score - i.score, 0)), 0)::float8
		FROM analytics_scorecard_items i JOIN analytics_sessions s ON s.id = i.session_id
		WHERE i.dealership_id = $1 AND ($2 = '' OR i.user_id = NULLIF($2, '')::uuid) AND s.started_at >= $3
			AND i.technique <> 0
		GROUP BY i.technique
		HAVING count(*) FILTER (WHERE i.score < i.max_score) > 0
		ORDER BY 2 DESC, 4 DESC, 1
		LIMIT $4`, dealershipID, userID, since, topN)
	if err != nil {
		return nil, fmt.Errorf("techniques missed: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*analyticsv1.TechniqueStat, error) {
		var t analyticsv1.TechniqueStat
		var tech int16
		if err := r.Scan(&tech, &t.Missed, &t.Graded, &t.PointsLost); err != nil {
			return nil, err
		}
		t.Technique = scenariov1.Technique(tech)
		return &t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("techniques missed: %w", err)
	}
	return out, nil
}

// DealershipAnalytics reports on dealershipID's sessions started since since (the zero
// time: every session kept): sessions, active trainees, practice time, average score,
// the techniques the team misses most, and the questions trainees asked the coach most
// and those it found nothing for. An unknown dealership is ErrDealershipNotFound.
func (s *Service) DealershipAnalytics(ctx context.Context, dealershipID string, since time.Time) (*analyticsv1.GetDealershipAnalyticsResponse, error) {
	if !validate.IsUUID(dealershipID) {
		return nil, ErrDealershipNotFound
	}
	dealershipID = canonicalUUID(dealershipID)
	out := &analyticsv1.GetDealershipAnalyticsResponse{DealershipId: dealershipID}
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dealerships WHERE id = $1)`, dealershipID).Scan(&exists); err != nil {
			return fmt.Errorf("look up dealership: %w", err)
		}
		if !exists {
			return ErrDealershipNotFound
		}
		if err := tx.QueryRow(ctx, `SELECT count(*)::integer, count(DISTINCT user_id)::integer, count(overall_score)::integer,
				COALESCE(avg(overall_score), 0)::float8, `+practiceSQL+`
			FROM analytics_sessions WHERE dealership_id = $1 AND started_at >= $2`, dealershipID, since).Scan(
			&out.SessionCount, &out.ActiveTrainees, &out.GradedSessionCount, &out.AverageScore, &out.PracticeSeconds); err != nil {
			return fmt.Errorf("summarise sessions: %w", err)
		}
		var err error
		if out.WeakestTechniques, err = techniqueStats(ctx, tx, dealershipID, "", since); err != nil {
			return err
		}
		if out.TopQuestions, err = coachQuestions(ctx, tx, dealershipID, since, false); err != nil {
			return err
		}
		out.UnansweredQuestions, err = coachQuestions(ctx, tx, dealershipID, since, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// coachQuestions groups the trainees' lines in coach sessions by their words (case,
// punctuation and spacing aside) and returns the most asked, only those the coach could
// not answer when unanswered is set.
func coachQuestions(ctx context.Context, tx pgx.Tx, dealershipID string, since time.Time, unanswered bool) ([]*analyticsv1.CoachQuestion, error) {
	rows, err := tx.Query(ctx, `WITH q AS (
			SELECT t.user_text, t.at,
				btrim(regexp_replace(regexp_replace(lower(t.user_text), '[^[:alnum:][:space:]]+', '', 'g'), '[[:space:]]+', ' ', 'g')) AS norm
			FROM analytics_turns t JOIN analytics_sessions s ON s.id = t.session_id
			WHERE t.dealership_id = $1 AND t.at >= $2 AND t.user_text <> '' AND t.speaker = ''
				AND s.mode = $3 AND (NOT $4 OR t.unanswered))
		SELECT (array_agg(user_text ORDER BY at DESC))[1], count(*)::integer, max(at)
		FROM q WHERE norm <> '' GROUP BY norm
		ORDER BY count(*) DESC, max(at) DESC LIMIT $5`,
		dealershipID, since, int16(conversationv1.Mode_MODE_TRAINING), unanswered, topN)
	if err != nil {
		return nil, fmt.Errorf("coach questions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*analyticsv1.CoachQuestion, error) {
		var q analyticsv1.CoachQuestion
		var at time.Time
		if err := r.Scan(&q.Text, &q.Count, &at); err != nil {
			return nil, err
		}
		q.LastAsked = timestamppb.New(at)
		return &q, nil
	})
	if err != nil {
		return nil, fmt.Errorf("coach questions: %w", err)
	}
	return out, nil
}

// RegionLatency returns the 50th, 95th and 99th percentile of every turn stage per
// region, over the turns since since, across every dealership (for operators). The
// percentiles are computed by PostgreSQL (percentile_cont, interpolated), not by loading
// the turns.
func (s *Service) RegionLatency(ctx context.Context, since time.Time) (*analyticsv1.GetRegionLatencyResponse, error) {
	rows, err := s.cfg.Read.Query(ctx, `SELECT t.region, v.stage,
			percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY v.ms::float8),
			count(*)
		FROM analytics_turns t
		CROSS JOIN LATERAL (VALUES (1, 'endpoint', t.endpoint_ms), (2, 'stt_final', t.stt_final_ms),
			(3, 'first_text', t.first_text_ms), (4, 'first_audio', t.first_audio_ms),
			(5, 'first_packet', t.first_packet_ms), (6, 'turn_gap', t.turn_gap_ms)) AS v(ord, stage, ms)
		WHERE t.at >= $1 AND v.ms IS NOT NULL
		GROUP BY t.region, v.ord, v.stage
		ORDER BY t.region, v.ord`, since)
	if err != nil {
		return nil, fmt.Errorf("region latency: %w", err)
	}
	defer rows.Close()
	out := &analyticsv1.GetRegionLatencyResponse{}
	var cur *analyticsv1.RegionLatency
	for rows.Next() {
		var region, stage string
		var p []float64
		var n int64
		if err := rows.Scan(&region, &stage, &p, &n); err != nil {
			return nil, fmt.Errorf("region latency: %w", err)
		}
		if cur == nil || cur.Region != region {
			cur = &analyticsv1.RegionLatency{Region: region}
			out.Regions = append(out.Regions, cur)
		}
		cur.Stages = append(cur.Stages, &analyticsv1.StagePercentiles{Stage: stage, P50Ms: p[0], P95Ms: p[1], P99Ms: p[2], Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("region latency: %w", err)
	}
	return out, nil
}
