package org

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/audit"
	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// ErrInvalidConfig means New was given a nil dependency.
var ErrInvalidConfig = errors.New("invalid org configuration")

// Service implements orgv1connect.OrgServiceHandler. Safe for concurrent use.
type Service struct {
	db        *pgxpool.Pool
	passwords *password.Hasher
	audit     *audit.Log
	log       *slog.Logger
}

var _ orgv1connect.OrgServiceHandler = (*Service)(nil)

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
		return apierror.PermissionDenied("no dealership")
	}
	return store.InTenant(ctx, s.db, p.DealershipID, fn)
}

// targetDealership resolves the dealership a request acts on: a non-super caller may
// name only their own (anything else is NotFound); empty means the caller's own.
func targetDealership(p principal.Principal, requested string) (string, error) {
	if p.IsSuperAdmin() {
		return requested, nil
	}
	if requested == "" || requested == p.DealershipID {
		return p.DealershipID, nil
	}
	return "", apierror.NotFound("dealership")
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

// CreateDealership implements OrgService.CreateDealership (super admins).
func (s *Service) CreateDealership(ctx context.Context, req *connect.Request[orgv1.CreateDealershipRequest]) (*connect.Response[orgv1.CreateDealershipResponse], error) {
	var v validate.Errors
	v.Text("name", req.Msg.GetName(), 1, 200)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d := &orgv1.Dealership{Name: strings.TrimSpace(req.Msg.GetName())}
	var created time.Time
	err := s.db.QueryRow(ctx, "INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text, created_at", d.Name).Scan(&d.Id, &created)
	if isUnique(err) {
		return nil, apierror.Conflict("a dealership with this name exists")
	}
	if err != nil {
		return nil, fmt.Errorf("create dealership: %w", err)
	}
	d.CreateTime = timestamppb.New(created)
	return connect.NewResponse(&orgv1.CreateDealershipResponse{Dealership: d}), nil
}

// ListDealerships implements OrgService.ListDealerships: all for a super admin, the
// caller's own otherwise.
func (s *Service) ListDealerships(ctx context.Context, req *connect.Request[orgv1.ListDealershipsRequest]) (*connect.Response[orgv1.ListDealershipsResponse], error) {
	p, _ := principal.From(ctx)
	var v validate.Errors
	size := v.PageSize("pageSize", req.Msg.GetPageSize(), 50, 500)
	after, afterID := v.PageToken("pageToken", req.Msg.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
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
		return nil, fmt.Errorf("list dealerships: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*orgv1.Dealership, error) {
		var d orgv1.Dealership
		var t time.Time
		err := r.Scan(&d.Id, &d.Name, &t)
		d.CreateTime = timestamppb.New(t)
		return &d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list dealerships: %w", err)
	}
	res := &orgv1.ListDealershipsResponse{}
	if len(ds) > size {
		ds = ds[:size]
		res.NextPageToken = pagetoken.Encode(ds[size-1].CreateTime.AsTime(), ds[size-1].Id)
	}
	res.Dealerships = ds
	return connect.NewResponse(res), nil
}

// CreateUser implements OrgService.CreateUser.
func (s *Service) CreateUser(ctx context.Context, req *connect.Request[orgv1.CreateUserRequest]) (*connect.Response[orgv1.CreateUserResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	v.Email("email", m.GetEmail())
	switch err := password.Validate(m.GetPassword()); {
	case errors.Is(err, password.ErrTooLong):
		v.Add("password", "must be at most 1024 bytes")
	case err != nil:
		v.Add("password", fmt.Sprintf("must be at least %d characters", password.MinLength))
	}
	v.Text("displayName", m.GetDisplayName(), 0, 200)
	switch m.GetRole() {
	case orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN, orgv1.Role_ROLE_TRAINEE:
	default:
		v.Add("role", "must be ROLE_TRAINEE, ROLE_DEALERSHIP_ADMIN or ROLE_SUPER_ADMIN")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if m.GetRole() == orgv1.Role_ROLE_SUPER_ADMIN && !p.IsSuperAdmin() {
		return nil, apierror.PermissionDenied("only a super admin may create super admins")
	}
	did, err := targetDealership(p, m.GetDealershipId())
	if err != nil {
		return nil, err
	}
	switch {
	case m.GetRole() == orgv1.Role_ROLE_SUPER_ADMIN && did != "":
		return nil, apierror.Invalid(apierror.Violation{Field: "dealershipId", Description: "must be empty for a super admin"})
	case m.GetRole() != orgv1.Role_ROLE_SUPER_ADMIN && did == "":
		return nil, apierror.Invalid(apierror.Violation{Field: "dealershipId", Description: "is required"})
	}
	hash, err := s.passwords.Hash(ctx, m.GetPassword())
	if err != nil {
		return nil, err
	}
	var resUser *orgv1.User
	insert := func(tx pgx.Tx) error {
		var d any
		if did != "" {
			d = did
			var ok bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM dealerships WHERE id = $1)", did).Scan(&ok); err != nil {
				return fmt.Errorf("find dealership: %w", err)
			}
			if !ok {
				return apierror.NotFound("dealership")
			}
		}
		u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users (dealership_id, email, password_hash, role, display_name)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+userCols, d, strings.ToLower(m.GetEmail()), hash, m.GetRole().String(), m.GetDisplayName()))
		if isUnique(err) {
			return apierror.Conflict("a user with this email exists")
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		resUser = u
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
	return connect.NewResponse(&orgv1.CreateUserResponse{User: resUser}), nil
}
