package analytics

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/store"
)

// EndAbandoned is the end reason of a session the sweeper closed.
const EndAbandoned = "abandoned"

// retentionBatch bounds the sessions one retention statement deletes, so the job never
// holds many locks for long.
const retentionBatch = 500

// tombstoneDays is how long a deleted session's id is remembered, so that its events
// still in the stream (kept 7 days) are not recorded again.
const tombstoneDays = 30

// Sweep closes every open session without an event recorded for Config.AbandonAfter:
// its end time is its last event's and its end reason EndAbandoned. A SessionEnded that
// arrives later replaces both. It returns how many sessions it closed. Run calls it
// every SweepInterval once the consumers have caught up.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	var n int
	err := store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE analytics_sessions
			SET ended_at = last_event_at, end_reason = $2, webhook_due_at = CASE WHEN $3::boolean THEN now() END,
				webhook_attempts = 0
			WHERE ended_at IS NULL AND seen_at < now() - make_interval(secs => $1)`,
			s.cfg.AbandonAfter.Seconds(), EndAbandoned, s.cfg.Webhooks != nil)
		if err != nil {
			return fmt.Errorf("close abandoned sessions: %w", err)
		}
		n = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		sessionsClosed.WithLabelValues("abandoned").Add(float64(n))
		s.log.InfoContext(ctx, "abandoned sessions closed", "sessions", n, "after", s.cfg.AbandonAfter.String())
		s.wake()
	}
	return n, nil
}

// EnforceRetention deletes the sessions whose last event is older than their
// dealership's retention period (DefaultRetentionDays unless set), with their turns and
// scorecards, and forgets deleted sessions' ids after 30 days. It returns how many
// sessions it deleted. Run calls it every RetentionInterval; every core may run it at
// once.
func (s *Service) EnforceRetention(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `WITH doomed AS (
				SELECT old.id FROM dealerships d
				LEFT JOIN analytics_settings st ON st.dealership_id = d.id
				CROSS JOIN LATERAL (
					SELECT s.id FROM analytics_sessions s
					WHERE s.dealership_id = d.id
						AND s.last_event_at < now() - make_interval(days => COALESCE(st.retention_days, $1))
					LIMIT $2) old
				LIMIT $2)
				DELETE FROM analytics_sessions s USING doomed WHERE s.id = doomed.id`, DefaultRetentionDays, retentionBatch)
			if err != nil {
				return fmt.Errorf("delete expired sessions: %w", err)
			}
			n = int(tag.RowsAffected())
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < retentionBatch {
			break
		}
	}
	if _, err := s.cfg.DB.Exec(ctx, `DELETE FROM analytics_deleted_sessions WHERE deleted_at < now() - make_interval(days => $1)`, tombstoneDays); err != nil {
		return total, fmt.Errorf("forget deleted sessions: %w", err)
	}
	if total > 0 {
		sessionsClosed.WithLabelValues("retention").Add(float64(total))
		s.log.InfoContext(ctx, "expired sessions deleted", "sessions", total)
	}
	return total, nil
}
