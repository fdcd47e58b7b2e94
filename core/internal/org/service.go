package org

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/audit"
	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Service is the organisation domain: dealerships, their users and the audit log, with
// tenancy enforced for the principal each method is given. It returns the sentinels and
// *validate.Error of errors.go and wrapped infrastructure errors; Handler maps them to
// the public error model. Safe for concurrent use.
type Service struct {
	db        *pgxpool.Pool
	passwords *password.Hasher
	audit     *audit.Log
	log       *slog.Logger
}

// New returns the service; log may be nil.
func New(db *pgxpool.Pool, passwords *password.Hasher, auditLog *audit.Log, log *slog.Logger) (*Service, error) {
	if db == nil || passwords == nil || auditLog == nil {
		return nil, ErrInvalidConfig
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, passwords: passwords, audit: auditLog, log: log}, nil
}

// inScope runs fn in the caller's tenant (RLS) or, for a super admin, across tenants.
func (s *Service) inScope(ctx context.Context, p principal.Principal, fn func(pgx.Tx) error) error {
	if p.IsSuperAdmin() {
		return store.InTx(ctx, s.db, fn)
	}
	if p.DealershipID == "" {
		return ErrNoDealership
	}
	return store.InTenant(ctx, s.db, p.DealershipID, fn)
}

// targetDealership resolves the dealership a request acts on: a non-super caller may
// name only their own (anything else is ErrDealershipNotFound); empty means the
// caller's own.
func targetDealership(p principal.Principal, requested string) (string, error) {
	if p.IsSuperAdmin() {
		return requested, nil
	}
	if requested == "" || requested == p.DealershipID {
		return p.DealershipID, nil
	}
	return "", ErrDealershipNotFound
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

const userCols = `id::text, email, role, COALESCE(dealership_id::text, ''), display_name, active, totp_enabled, created_at`

func scanUser(row pgx.Row) (*orgv1.User, error) {
	var u orgv1.User
	var role string
	var created time.Time
	if err := row.Scan(&u.Id, &u.Email, &role, &u.DealershipId, &u.DisplayName, &u.Active, &u.TotpEnabled, &created); err != nil {
		return nil, err
	}
	u.Role = orgv1.Role(orgv1.Role_value[role])
	u.CreateTime = timestamppb.New(created)
	return &u, nil
}

// CreateDealership creates a dealership named name (trimmed); a taken name answers
// ErrDealershipExists. Only super admins reach it (authz policy).
func (s *Service) CreateDealership(ctx context.Context, name string) (*orgv1.Dealership, error) {
	d := &orgv1.Dealership{Name: strings.TrimSpace(name)}
	var created time.Time
	err := s.db.QueryRow(ctx, "INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text, created_at", d.Name).Scan(&d.Id, &created)
	if isUnique(err) {
		return nil, ErrDealershipExists
	}
	if err != nil {
		return nil, fmt.Errorf("create dealership: %w", err)
	}
	d.CreateTime = timestamppb.New(created)
	return d, nil
}

// ListDealerships lists every dealership for a super admin and the caller's own
// otherwise, oldest first: size dealerships after the page position (after, afterID),
// and the token of the next page ("" after the last).
func (s *Service) ListDealerships(ctx context.Context, p principal.Principal, size int, after time.Time, afterID string) ([]*orgv1.Dealership, string, error) {
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	own := ""
	if !p.IsSuperAdmin() {
		own = p.DealershipID
	}
	rows, err := s.db.Query(ctx, `SELECT id::text, name, created_at FROM dealerships
		WHERE ($1 = '' OR id = NULLIF($1, '')::uuid) AND (created_at, id) > ($2, $3::uuid)
		ORDER BY created_at, id LIMIT $4`, own, after, afterID, size+1)
	if err != nil {
		return nil, "", fmt.Errorf("list dealerships: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*orgv1.Dealership, error) {
		var d orgv1.Dealership
		var t time.Time
		err := r.Scan(&d.Id, &d.Name, &t)
		d.CreateTime = timestamppb.New(t)
		return &d, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list dealerships: %w", err)
	}
	next := ""
	if len(ds) > size {
		ds = ds[:size]
		next = pagetoken.Encode(ds[size-1].CreateTime.AsTime(), ds[size-1].Id)
	}
	return ds, next, nil
}

// NewUser is a user to create.
type NewUser struct {
	// DealershipID is the user's dealership: empty means the caller's own; a super admin
	// has none.
	DealershipID string
	// Email is the sign-in address, stored in lower case.
	Email string
	// Password is the initial password, stored as an argon2id hash.
	Password string
	// Role is the user's role.
	Role orgv1.Role
	// DisplayName is the name shown for the user.
	DisplayName string
}

// CreateUser creates u on behalf of p. Only a super admin creates super admins
// (ErrSuperAdminOnly); a dealership admin creates users in their own dealership only
// (ErrDealershipNotFound otherwise, as for a dealership that does not exist). A super
// admin has no dealership and every other role needs one (*validate.Error); a taken
// email answers ErrUserExists.
func (s *Service) CreateUser(ctx context.Context, p principal.Principal, u NewUser) (*orgv1.User, error) {
	if u.Role == orgv1.Role_ROLE_SUPER_ADMIN && !p.IsSuperAdmin() {
		return nil, ErrSuperAdminOnly
	}
	did, err := targetDealership(p, u.DealershipID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Role == orgv1.Role_ROLE_SUPER_ADMIN && did != "":
		return nil, validate.Invalid(ErrInvalid, "dealershipId", "must be empty for a super admin")
	case u.Role != orgv1.Role_ROLE_SUPER_ADMIN && did == "":
		return nil, validate.Invalid(ErrInvalid, "dealershipId", "is required")
	}
	hash, err := s.passwords.Hash(ctx, u.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	var created *orgv1.User
	insert := func(tx pgx.Tx) error {
		var d any
		if did != "" {
			d = did
			var ok bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM dealerships WHERE id = $1)", did).Scan(&ok); err != nil {
				return fmt.Errorf("find dealership: %w", err)
			}
			if !ok {
				return ErrDealershipNotFound
			}
		}
		row, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users (dealership_id, email, password_hash, role, display_name)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+userCols, d, strings.ToLower(u.Email), hash, u.Role.String(), u.DisplayName))
		if isUnique(err) {
			return ErrUserExists
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		created = row
		return nil
	}
	if did == "" {
		err = store.InTx(ctx, s.db, insert)
	} else {
		err = store.InTenant(ctx, s.db, did, insert)
	}
	if err != nil {
		return nil, err
	}
	return created, nil
}
