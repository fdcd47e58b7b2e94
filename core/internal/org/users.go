package org

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/validate"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// ListUsers implements OrgService.ListUsers, oldest first, paginated.
func (s *Service) ListUsers(ctx context.Context, req *connect.Request[orgv1.ListUsersRequest]) (*connect.Response[orgv1.ListUsersResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), 50, 500)
	after, afterID := v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	did, err := targetDealership(p, m.GetDealershipId())
	if err != nil {
		return nil, err
	}
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	var users []*orgv1.User
	err = s.inScope(ctx, p, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+userCols+` FROM users
			WHERE ($1 = '' OR dealership_id = NULLIF($1, '')::uuid) AND (created_at, id) > ($2, $3::uuid)
			ORDER BY created_at, id LIMIT $4`, did, after, afterID, size+1)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		users, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*orgv1.User, error) { return scanUser(r) })
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &orgv1.ListUsersResponse{}
	if len(users) > size {
		users = users[:size]
		res.NextPageToken = pagetoken.Encode(users[size-1].CreateTime.AsTime(), users[size-1].Id)
	}
	res.Users = users
	return connect.NewResponse(res), nil
}

// getUser loads one user visible to p, or NotFound.
func (s *Service) getUser(ctx context.Context, tx pgx.Tx, p principal.Principal, id string, lock bool) (*orgv1.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE id = $1 AND ($2 = '' OR dealership_id = NULLIF($2, '')::uuid)`
	if lock {
		q += " FOR UPDATE"
	}
	own := ""
	if !p.IsSuperAdmin() {
		own = p.DealershipID
	}
	u, err := scanUser(tx.QueryRow(ctx, q, id, own))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apierror.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

func validID(id string) error {
	var v validate.Errors
	v.ID("id", id, true)
	return v.Err()
}

// GetUser implements OrgService.GetUser. Another dealership's user answers NotFound.
func (s *Service) GetUser(ctx context.Context, req *connect.Request[orgv1.GetUserRequest]) (*connect.Response[orgv1.GetUserResponse], error) {
	if err := validID(req.Msg.GetId()); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		var err error
		u, err = s.getUser(ctx, tx, p, req.Msg.GetId(), false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&orgv1.GetUserResponse{User: u}), nil
}

// UpdateUser implements OrgService.UpdateUser: display name and role (not to or from
// super admin, which changes tenancy).
func (s *Service) UpdateUser(ctx context.Context, req *connect.Request[orgv1.UpdateUserRequest]) (*connect.Response[orgv1.UpdateUserResponse], error) {
	m := req.Msg
	var v validate.Errors
	v.ID("id", m.GetId(), true)
	if m.DisplayName != nil {
		v.Text("displayName", m.GetDisplayName(), 0, 200)
	}
	if m.Role != nil && m.GetRole() != orgv1.Role_ROLE_DEALERSHIP_ADMIN && m.GetRole() != orgv1.Role_ROLE_TRAINEE {
		v.Add("role", "must be ROLE_TRAINEE or ROLE_DEALERSHIP_ADMIN")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		cur, err := s.getUser(ctx, tx, p, m.GetId(), true)
		if err != nil {
			return err
		}
		if cur.Role == orgv1.Role_ROLE_SUPER_ADMIN && m.Role != nil {
			return apierror.Invalid(apierror.Violation{Field: "role", Description: "a super admin's role cannot change"})
		}
		name, role := cur.DisplayName, cur.Role
		if m.DisplayName != nil {
			name = m.GetDisplayName()
		}
		if m.Role != nil {
			role = m.GetRole()
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET display_name = $2, role = $3, updated_at = now() WHERE id = $1 RETURNING `+userCols,
			m.GetId(), name, role.String()))
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&orgv1.UpdateUserResponse{User: u}), nil
}

// DeactivateUser implements OrgService.DeactivateUser: the user can no longer sign in,
// and every refresh token they hold is revoked. Access tokens already issued lapse
// within their 15 minutes.
func (s *Service) DeactivateUser(ctx context.Context, req *connect.Request[orgv1.DeactivateUserRequest]) (*connect.Response[orgv1.DeactivateUserResponse], error) {
	if err := validID(req.Msg.GetId()); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	if req.Msg.GetId() == p.UserID {
		return nil, apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "you cannot deactivate yourself")
	}
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		if _, err := s.getUser(ctx, tx, p, req.Msg.GetId(), true); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET active = false, updated_at = now() WHERE id = $1 RETURNING `+userCols, req.Msg.GetId()))
		if err != nil {
			return fmt.Errorf("deactivate user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// refresh_tokens has no RLS; the user was checked above.
	if _, err := s.db.Exec(ctx, "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", u.Id); err != nil {
		return nil, fmt.Errorf("revoke sessions: %w", err)
	}
	return connect.NewResponse(&orgv1.DeactivateUserResponse{User: u}), nil
}

// GetMe implements OrgService.GetMe.
func (s *Service) GetMe(ctx context.Context, _ *connect.Request[orgv1.GetMeRequest]) (*connect.Response[orgv1.GetMeResponse], error) {
	p, _ := principal.From(ctx)
	if p.UserID == "" || strings.HasPrefix(p.UserID, "apikey:") {
		return nil, apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "an API key is not a user")
	}
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, p.UserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apierror.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	return connect.NewResponse(&orgv1.GetMeResponse{User: u}), nil
}

// ListAuditEvents implements OrgService.ListAuditEvents: the caller's dealership for a
// dealership admin; any dealership, or all, for a super admin. Newest first.
func (s *Service) ListAuditEvents(ctx context.Context, req *connect.Request[orgv1.ListAuditEventsRequest]) (*connect.Response[orgv1.ListAuditEventsResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), 50, 500)
	before, beforeID := v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	did, err := targetDealership(p, m.GetDealershipId())
	if err != nil {
		return nil, err
	}
	evs, err := s.audit.List(ctx, did, size+1, before, beforeID)
	if err != nil {
		return nil, err
	}
	res := &orgv1.ListAuditEventsResponse{}
	if len(evs) > size {
		evs = evs[:size]
		res.NextPageToken = pagetoken.Encode(evs[size-1].Time, evs[size-1].ID)
	}
	for _, e := range evs {
		res.Events = append(res.Events, &orgv1.AuditEvent{
			Id: e.ID, DealershipId: e.DealershipID, ActorId: e.ActorID, ActorEmail: e.ActorEmail, Action: e.Action,
			ResourceType: e.ResourceType, ResourceId: e.ResourceID, ChangedFields: e.Changed, Ip: e.IP, UserAgent: e.UserAgent,
			CreateTime: timestamppb.New(e.Time),
		})
	}
	return connect.NewResponse(res), nil
}
