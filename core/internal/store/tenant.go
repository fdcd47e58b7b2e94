package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TenantRole is the non-superuser role tenant transactions switch to, so PostgreSQL's
// row-level-security policies apply even when the pool connects as a superuser.
const TenantRole = "avatar_tenant"

// TxBeginner is what InTenant needs: a pool or a connection.
type TxBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// InTenant runs fn in a transaction scoped to one dealership: it switches to TenantRole
// and sets avatar.dealership_id for the transaction, so RLS policies on tenant tables
// hide every other dealership's rows even from a query that forgets its filter. The
// transaction commits when fn returns nil and rolls back otherwise.
func InTenant(ctx context.Context, db TxBeginner, dealershipID string, fn func(pgx.Tx) error) error {
	if dealershipID == "" {
		return ErrNoTenant
	}
	return inTx(ctx, db, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// One round trip: set_config('role', …, true) is SET LOCAL ROLE.
		if _, err := tx.Exec(ctx, "SELECT set_config('avatar.dealership_id', $1, true), set_config('role', $2, true)", dealershipID, TenantRole); err != nil {
			return fmt.Errorf("set tenant: %w", err)
		}
		return fn(tx)
	})
}

// InTx runs fn in a plain transaction (no tenant scope), for cross-tenant work such as
// super-admin calls and the ingest workers that have already authorised their job.
func InTx(ctx context.Context, db TxBeginner, fn func(pgx.Tx) error) error {
	return inTx(ctx, db, pgx.TxOptions{}, fn)
}

func inTx(ctx context.Context, db TxBeginner, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
