package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
)

// Bootstrap creates the super admin from email and pw when no user exists yet, and
// reports whether it did. Empty email does nothing. Concurrent replicas serialise on an
// advisory lock, so exactly one creates the account.
func Bootstrap(ctx context.Context, db *pgxpool.Pool, hasher *password.Hasher, email, pw string) (bool, error) {
	if email == "" {
		return false, nil
	}
	var v validate.Errors
	v.Email("AVATAR_BOOTSTRAP_EMAIL", email)
	if err := v.Err(); err != nil {
		return false, fmt.Errorf("%w: %w", ErrBootstrapInvalid, err)
	}
	if err := password.Validate(pw); err != nil {
		return false, fmt.Errorf("%w: AVATAR_BOOTSTRAP_PASSWORD: %w", ErrBootstrapInvalid, err)
	}
	created := false
	err := store.InTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7262003)"); err != nil {
			return fmt.Errorf("lock bootstrap: %w", err)
		}
		var any bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users)").Scan(&any); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if any {
			return nil
		}
		h, err := hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (email, password_hash, role, display_name) VALUES ($1, $2, 'ROLE_SUPER_ADMIN', 'Super admin')`,
			strings.ToLower(email), h); err != nil {
			return fmt.Errorf("create super admin: %w", err)
		}
		created = true
		return nil
	})
	return created, err
}
