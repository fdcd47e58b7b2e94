package org

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/validate"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// ListUsers lists the users of dealershipID (empty: the caller's own; for a super
// admin, everyone), oldest first: size users after the page position (after, afterID),
// and the token of the next page ("" after the last). A dealership admin naming another
// dealership gets ErrDealershipNotFound.
func (s *Service) ListUsers(ctx context.Context, p principal.Principal, dealershipID string, size int, after time.Time, afterID string) ([]*orgv1.User, string, error) {
	did, err := targetDealership(p, dealershipID)
	if err != nil {
		return nil, "", err
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
		return nil, "", err
	}
	next := ""
	if len(users) > size {
		users = users[:size]
		next = pagetoken.Encode(users[size-1].CreateTime.AsTime(), users[size-1].Id)
	}
	return users, next, nil
}

// getUser loads one user visible to p, or ErrUserNotFound.
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
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// GetUser returns the user id. Another dealership's user answers ErrUserNotFound, like
// an unknown one.
func (s *Service) GetUser(ctx context.Context, p principal.Principal, id string) (*orgv1.User, error) {
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		var err error
		u, err = s.getUser(ctx, tx, p, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserChange is what UpdateUser changes; nil fields stay as they are.
type UserChange struct {
	// DisplayName is the new display name.
	DisplayName *string
	// Role is the new role: ROLE_TRAINEE or ROLE_DEALERSHIP_ADMIN.
	Role *orgv1.Role
}

// UpdateUser applies c to the user id. A super admin's role cannot change, since that
// would change tenancy (*validate.Error); another dealership's user answers
// ErrUserNotFound.
func (s *Service) UpdateUser(ctx context.Context, p principal.Principal, id string, c UserChange) (*orgv1.User, error) {
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		cur, err := s.getUser(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if cur.Role == orgv1.Role_ROLE_SUPER_ADMIN && c.Role != nil {
			return validate.Invalid(ErrInvalid, "role", "a super admin's role cannot change")
		}
		name, role := cur.DisplayName, cur.Role
		if c.DisplayName != nil {
			name = *c.DisplayName
		}
		if c.Role != nil {
			role = *c.Role
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET display_name = $2, role = $3, updated_at = now() WHERE id = $1 RETURNING `+userCols,
			id, name, role.String()))
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeactivateUser stops the user id from signing in and revokes every refresh token
// they hold; access tokens already issued lapse within their 15 minutes. Nobody
// deactivates themselves (ErrDeactivateSelf); another dealership's user answers
// ErrUserNotFound.
func (s *Service) DeactivateUser(ctx context.Context, p principal.Principal, id string) (*orgv1.User, error) {
	if id == p.UserID {
		return nil, ErrDeactivateSelf
	}
	var u *orgv1.User
	err := s.inScope(ctx, p, func(tx pgx.Tx) error {
		if _, err := s.getUser(ctx, tx, p, id, true); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET active = false, updated_at = now() WHERE id = $1 RETURNING `+userCols, id))
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
	return u, nil
}

// Me returns the user p is. An API key or a service is not a user (ErrNotAUser); a
// user deleted since the token was issued answers ErrUserNotFound.
func (s *Service) Me(ctx context.Context, p principal.Principal) (*orgv1.User, error) {
	if !p.IsUser() {
		return nil, ErrNotAUser
	}
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, p.UserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	return u, nil
}

// ListAuditEvents lists the audit events of dealershipID (empty: the caller's own; for
// a super admin, every dealership's), newest first: size events before the page
// position (before, beforeID), and the token of the next page ("" after the last). A
// dealership admin naming another dealership gets ErrDealershipNotFound.
func (s *Service) ListAuditEvents(ctx context.Context, p principal.Principal, dealershipID string, size int, before time.Time, beforeID string) ([]*orgv1.AuditEvent, string, error) {
	did, err := targetDealership(p, dealershipID)
	if err != nil {
		return nil, "", err
	}
	evs, err := s.audit.List(ctx, did, size+1, before, beforeID)
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	next := ""
	if len(evs) > size {
		evs = evs[:size]
		next = pagetoken.Encode(evs[size-1].Time, evs[size-1].ID)
	}
	out := make([]*orgv1.AuditEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, &orgv1.AuditEvent{
			Id: e.ID, DealershipId: e.DealershipID, ActorId: e.ActorID, ActorEmail: e.ActorEmail, Action: e.Action,
			ResourceType: e.ResourceType, ResourceId: e.ResourceID, ChangedFields: e.Changed, Ip: e.IP, UserAgent: e.UserAgent,
			CreateTime: timestamppb.New(e.Time),
		})
	}
	return out, next, nil
}
