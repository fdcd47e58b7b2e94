package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/pagetoken"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// scoped runs fn in a transaction scoped to dealershipID (RLS applies) or, when it is
// empty (super-admin work across tenants), in a plain transaction.
func scoped(ctx context.Context, s *Service, dealershipID string, fn func(pgx.Tx) error) error {
	if dealershipID == "" {
		return store.InTx(ctx, s.cfg.DB, fn)
	}
	return store.InTenant(ctx, s.cfg.DB, dealershipID, fn)
}

// NewAPIKey is an API key to issue.
type NewAPIKey struct {
	// Name is the key's label.
	Name string
	// Role is what the key may do.
	Role orgv1.Role
	// DealershipID is the key's dealership: empty means the caller's own for a
	// dealership admin; super-admin and edge-service keys have none.
	DealershipID string
	// Expires is when the key stops working; nil never.
	Expires *time.Time
}

// CreateAPIKey issues k on behalf of p and returns it with its secret
// ("ak_<id>_<secret>"), which is stored only hashed. A dealership admin issues trainee
// or admin keys for their own dealership (another one answers ErrDealershipNotFound,
// a global role ErrRoleNotAllowed); a super admin issues any role, where super-admin
// and edge-service keys belong to no dealership (a *validate.Error otherwise).
func (s *Service) CreateAPIKey(ctx context.Context, p principal.Principal, k NewAPIKey) (*authv1.ApiKey, string, error) {
	did := k.DealershipID
	global := k.Role == orgv1.Role_ROLE_SUPER_ADMIN || k.Role == orgv1.Role_ROLE_EDGE_SERVICE
	if !p.IsSuperAdmin() {
		if global {
			return nil, "", ErrRoleNotAllowed
		}
		if did == "" {
			did = p.DealershipID
		}
		if did != p.DealershipID {
			return nil, "", ErrDealershipNotFound
		}
	}
	switch {
	case global && did != "":
		return nil, "", validate.Invalid(ErrInvalid, "dealershipId", "must be empty for super-admin and edge-service keys")
	case !global && did == "":
		return nil, "", validate.Invalid(ErrInvalid, "dealershipId", "is required for this role")
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	secretHex := hex.EncodeToString(secret)
	id := uuid.NewString()
	var created time.Time
	err := scoped(ctx, s, did, func(tx pgx.Tx) error {
		var d any
		if did != "" {
			d = did
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM dealerships WHERE id = $1)", did).Scan(&exists); err != nil {
				return fmt.Errorf("find dealership: %w", err)
			}
			if !exists {
				return ErrDealershipNotFound
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO api_keys (id, dealership_id, name, role, secret_hash, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
			id, d, k.Name, k.Role.String(), sha(secretHex), p.UserID, k.Expires).Scan(&created); err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	key := &authv1.ApiKey{Id: id, Name: k.Name, Role: k.Role, DealershipId: did, CreateTime: timestamppb.New(created)}
	if k.Expires != nil {
		key.ExpireTime = timestamppb.New(*k.Expires)
	}
	return key, authn.APIKeyPrefix + id + "_" + secretHex, nil
}

// AuthenticateKey implements authn.KeyAuthenticator: "ak_<id>_<secret>" → the key's
// principal, refusing unknown, wrong, revoked and expired keys. last_used_at is written
// at most once a minute per key.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (principal.Principal, error) {
	rest := strings.TrimPrefix(key, authn.APIKeyPrefix)
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 36 || len(secret) != 64 {
		return principal.Principal{}, authn.ErrInvalidCredential
	}
	if _, err := uuid.Parse(id); err != nil {
		return principal.Principal{}, authn.ErrInvalidCredential
	}
	var role, did string
	var hash []byte
	var live bool
	err := s.cfg.DB.QueryRow(ctx, `SELECT role, COALESCE(dealership_id::text, ''), secret_hash,
		revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) FROM api_keys WHERE id = $1`, id).Scan(&role, &did, &hash, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return principal.Principal{}, authn.ErrInvalidCredential
	}
	if err != nil {
		return principal.Principal{}, fmt.Errorf("find API key: %w", err)
	}
	if subtle.ConstantTimeCompare(hash, sha(secret)) != 1 || !live {
		return principal.Principal{}, authn.ErrInvalidCredential
	}
	if _, err := s.cfg.DB.Exec(ctx, `UPDATE api_keys SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, id); err != nil {
		s.log.WarnContext(ctx, "record API key use", "error", err.Error())
	}
	return principal.Principal{UserID: principal.APIKeyPrefix + id, DealershipID: did, Role: orgv1.Role(orgv1.Role_value[role])}, nil
}

// ListAPIKeys lists the API keys of dealershipID visible to p, newest first: size keys
// older than the page position (after, afterID) — the zero time for the first page —
// and the token of the next page ("" after the last). A dealership admin lists their
// own dealership's (another one answers ErrDealershipNotFound); a super admin any
// dealership's, or every key when dealershipID is empty.
func (s *Service) ListAPIKeys(ctx context.Context, p principal.Principal, dealershipID string, size int, after time.Time, afterID string) ([]*authv1.ApiKey, string, error) {
	did := dealershipID
	if !p.IsSuperAdmin() {
		if did == "" {
			did = p.DealershipID
		}
		if did != p.DealershipID {
			return nil, "", ErrDealershipNotFound
		}
	}
	if after.IsZero() {
		after = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		afterID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	}
	var out []*authv1.ApiKey
	err := scoped(ctx, s, did, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, name, role, COALESCE(dealership_id::text, ''), created_at, expires_at, last_used_at, revoked_at IS NOT NULL
			FROM api_keys WHERE ($1 = '' OR dealership_id = NULLIF($1, '')::uuid) AND (created_at, id) < ($2, $3::uuid)
			ORDER BY created_at DESC, id DESC LIMIT $4`, did, after, afterID, size+1)
		if err != nil {
			return fmt.Errorf("list API keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k authv1.ApiKey
			var role string
			var created time.Time
			var expires, used *time.Time
			if err := rows.Scan(&k.Id, &k.Name, &role, &k.DealershipId, &created, &expires, &used, &k.Revoked); err != nil {
				return fmt.Errorf("scan API key: %w", err)
			}
			k.Role = orgv1.Role(orgv1.Role_value[role])
			k.CreateTime = timestamppb.New(created)
			if expires != nil {
				k.ExpireTime = timestamppb.New(*expires)
			}
			if used != nil {
				k.LastUsedTime = timestamppb.New(*used)
			}
			out = append(out, &k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		last := out[size-1]
		next = pagetoken.Encode(last.CreateTime.AsTime(), last.Id)
	}
	return out, next, nil
}

// RevokeAPIKey revokes the key id for good. A key p may not see (another dealership's,
// for a dealership admin) answers ErrAPIKeyNotFound, like an unknown one. Revoking a
// revoked key is not an error.
func (s *Service) RevokeAPIKey(ctx context.Context, p principal.Principal, id string) error {
	did := ""
	if !p.IsSuperAdmin() {
		did = p.DealershipID
	}
	return scoped(ctx, s, did, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
			WHERE id = $1 AND ($2 = '' OR dealership_id = NULLIF($2, '')::uuid)`, id, did)
		if err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrAPIKeyNotFound
		}
		return nil
	})
}
