package analytics

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
)

// DeleteUserSessions deletes every session of userID in dealershipID, with its turns and
// scorecard, and remembers the sessions' ids for 30 days so that their events still in
// the stream (redelivered, or published by a call still going on) are not recorded
// again. It returns how many sessions and turns it deleted. A user who is not the
// dealership's and has no session in it is ErrUserNotFound.
func (s *Service) DeleteUserSessions(ctx context.Context, dealershipID, userID string) (sessions int, turns int64, err error) {
	if !validate.IsUUID(userID) {
		return 0, 0, ErrUserNotFound
	}
	userID = canonicalUUID(userID)
	err = store.InTenant(ctx, s.cfg.DB, dealershipID, func(tx pgx.Tx) error {
		sessions, turns = 0, 0
		if err := knownUser(ctx, tx, dealershipID, userID); err != nil {
			return err
		}
		// Lock the user's sessions first, so a write of their events waits for the
		// delete and then finds the tombstones.
		if _, err := tx.Exec(ctx, `SELECT id FROM analytics_sessions WHERE dealership_id = $1 AND user_id = $2 FOR UPDATE`, dealershipID, userID); err != nil {
			return fmt.Errorf("lock sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO analytics_deleted_sessions (session_id, dealership_id)
			SELECT id, dealership_id FROM analytics_sessions WHERE dealership_id = $1 AND user_id = $2
			ON CONFLICT (session_id) DO UPDATE SET deleted_at = now()`, dealershipID, userID); err != nil {
			return fmt.Errorf("remember deleted sessions: %w", err)
		}
		if err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM analytics_turns WHERE dealership_id = $1
				AND session_id IN (SELECT id FROM analytics_sessions WHERE dealership_id = $1 AND user_id = $2) RETURNING 1)
			SELECT count(*) FROM d`, dealershipID, userID).Scan(&turns); err != nil {
			return fmt.Errorf("delete turns: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM analytics_sessions WHERE dealership_id = $1 AND user_id = $2`, dealershipID, userID)
		if err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		sessions = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if sessions > 0 {
		sessionsClosed.WithLabelValues("deleted").Add(float64(sessions))
	}
	s.log.InfoContext(ctx, "user's sessions deleted", "dealership_id", dealershipID, "user_id", userID, "sessions", sessions, "turns", turns)
	return sessions, turns, nil
}

// Retention returns how many days dealershipID's sessions are kept after their last
// event.
func (s *Service) Retention(ctx context.Context, dealershipID string) (int, error) {
	days := DefaultRetentionDays
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT retention_days FROM analytics_settings WHERE dealership_id = $1`, dealershipID).Scan(&days)
		if errors.Is(err, pgx.ErrNoRows) {
			days = DefaultRetentionDays
			return nil
		}
		if err != nil {
			return fmt.Errorf("read retention: %w", err)
		}
		return nil
	})
	return days, err
}

// SetRetention sets how many days dealershipID's sessions are kept after their last
// event (MinRetentionDays to MaxRetentionDays, else ErrInvalidRetention); the next run
// of the retention job deletes the older ones. An unknown dealership is
// ErrDealershipNotFound.
func (s *Service) SetRetention(ctx context.Context, dealershipID string, days int) (int, error) {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return 0, ErrInvalidRetention
	}
	err := store.InTenant(ctx, s.cfg.DB, dealershipID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO analytics_settings (dealership_id, retention_days) VALUES ($1, $2)
			ON CONFLICT (dealership_id) DO UPDATE SET retention_days = EXCLUDED.retention_days, updated_at = now()`, dealershipID, days)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23503" {
			return ErrDealershipNotFound
		}
		if err != nil {
			return fmt.Errorf("set retention: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return days, nil
}
