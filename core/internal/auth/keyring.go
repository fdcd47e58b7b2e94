package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
)

// KeyRingConfig configures a KeyRing.
type KeyRingConfig struct {
	// Issuer is the iss of every token (the core's public URL). Required.
	Issuer string
	// TTL is the access-token lifetime. Default accesstoken.DefaultTTL (15 min).
	TTL time.Duration
	// Activation is how long a new key is published before it signs, so every replica
	// and edge has it before tokens signed with it arrive. Default 2 min; 0 in tests
	// via NoActivationDelay.
	Activation time.Duration
	// NoActivationDelay makes new keys sign at once (tests).
	NoActivationDelay bool
	// Reload is how often keys are re-read from the database. Default 1 min.
	Reload time.Duration
}

// KeyRing holds the core's signing keys, shared by every replica through the
// signing_keys table: the newest active key signs, and every key that may still have
// valid tokens out is published and accepted. It implements accesstoken.KeySet and is
// safe for concurrent use.
type KeyRing struct {
	db  *pgxpool.Pool
	box *secrets.Box
	cfg KeyRingConfig
	log *slog.Logger

	mu        sync.RWMutex
	signer    *accesstoken.Signer
	published []accesstoken.Key
	keys      *accesstoken.StaticKeySet
	reloadAt  time.Time
	verifier  *accesstoken.Verifier
}

// NewKeyRing loads the keys, creating the first one when there is none (concurrent
// replicas serialise on an advisory lock).
func NewKeyRing(ctx context.Context, db *pgxpool.Pool, box *secrets.Box, cfg KeyRingConfig, log *slog.Logger) (*KeyRing, error) {
	if cfg.Issuer == "" || db == nil || box == nil {
		return nil, fmt.Errorf("%w: key ring needs a database, a secrets box and an issuer", ErrInvalidConfig)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = accesstoken.DefaultTTL
	}
	if cfg.Activation <= 0 && !cfg.NoActivationDelay {
		cfg.Activation = 2 * time.Minute
	}
	if cfg.NoActivationDelay {
		cfg.Activation = 0
	}
	if cfg.Reload <= 0 {
		cfg.Reload = time.Minute
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &KeyRing{db: db, box: box, cfg: cfg, log: log, keys: accesstoken.NewStaticKeySet()}
	v, err := accesstoken.NewVerifier(k, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	k.verifier = v
	err = store.InTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7262002)"); err != nil {
			return fmt.Errorf("lock signing keys: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM signing_keys WHERE retired_at IS NULL").Scan(&n); err != nil {
			return fmt.Errorf("count signing keys: %w", err)
		}
		if n > 0 {
			return nil
		}
		_, err := k.insertKey(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *KeyRing) insertKey(ctx context.Context, tx pgx.Tx) (string, error) {
	kid, priv, err := accesstoken.GenerateKey()
	if err != nil {
		return "", err
	}
	sealed, err := k.box.Seal(priv.Seed(), []byte(kid))
	if err != nil {
		return "", fmt.Errorf("seal signing key: %w", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO signing_keys (kid, private_key) VALUES ($1, $2)", kid, sealed); err != nil {
		return "", fmt.Errorf("insert signing key: %w", err)
	}
	k.log.InfoContext(ctx, "signing key created", "kid", kid)
	return kid, nil
}

// Rotate creates a new signing key and retires the others. Retired keys stay published
// and accepted until every token they signed has expired, so nobody is logged out. It
// returns the new kid.
func (k *KeyRing) Rotate(ctx context.Context) (string, error) {
	var kid string
	err := store.InTx(ctx, k.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7262002)"); err != nil {
			return fmt.Errorf("lock signing keys: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL"); err != nil {
			return fmt.Errorf("retire signing keys: %w", err)
		}
		var err error
		kid, err = k.insertKey(ctx, tx)
		return err
	})
	if err != nil {
		return "", err
	}
	return kid, k.Reload(ctx)
}

// Reload re-reads the keys from the database.
func (k *KeyRing) Reload(ctx context.Context) error {
	retention := k.cfg.Activation + k.cfg.TTL + accesstoken.DefaultLeeway + 5*time.Minute
	rows, err := k.db.Query(ctx, `SELECT kid, private_key, created_at, now() FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
		ORDER BY created_at DESC, kid`, retention.Seconds())
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	type row struct {
		kid     string
		sealed  []byte
		created time.Time
		now     time.Time
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.kid, &x.sealed, &x.created, &x.now)
	})
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	if len(all) == 0 {
		return ErrNoSigningKey
	}
	var signer *accesstoken.Signer
	var pub []accesstoken.Key
	for _, r := range all {
		seed, err := k.box.Open(r.sealed, []byte(r.kid))
		if err != nil {
			k.log.ErrorContext(ctx, "signing key cannot be opened; check AVATAR_ENCRYPTION_KEYS", "kid", r.kid, "error", err.Error())
			continue
		}
		priv := ed25519.NewKeyFromSeed(seed)
		s, err := accesstoken.NewSigner(r.kid, priv, k.cfg.Issuer, accesstoken.WithTTL(k.cfg.TTL))
		if err != nil {
			return err
		}
		pub = append(pub, s.PublicKey())
		if signer == nil && r.now.Sub(r.created) >= k.cfg.Activation {
			signer = s
		}
	}
	if len(pub) == 0 {
		return ErrNoSigningKey
	}
	if signer == nil { // only keys younger than the activation delay: use the newest
		seed, _ := k.box.Open(all[0].sealed, []byte(all[0].kid))
		signer, _ = accesstoken.NewSigner(all[0].kid, ed25519.NewKeyFromSeed(seed), k.cfg.Issuer, accesstoken.WithTTL(k.cfg.TTL))
	}
	k.keys.Set(pub...)
	k.mu.Lock()
	k.signer, k.published = signer, pub
	k.mu.Unlock()
	return nil
}

// Run reloads the keys every Reload interval until ctx ends.
func (k *KeyRing) Run(ctx context.Context) error {
	t := time.NewTicker(k.cfg.Reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := k.Reload(ctx); err != nil && !errors.Is(err, context.Canceled) {
				k.log.WarnContext(ctx, "reload signing keys", "error", err.Error())
			}
		}
	}
}

// Signer returns the key that signs now.
func (k *KeyRing) Signer() *accesstoken.Signer {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signer
}

// PublicKeys returns every published key, newest first.
func (k *KeyRing) PublicKeys() []accesstoken.Key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.published
}

// Verifier returns a verifier over this ring's keys.
func (k *KeyRing) Verifier() *accesstoken.Verifier { return k.verifier }

// Key implements accesstoken.KeySet. An unknown kid reloads from the database at most
// once a second, so a key another replica just created is found.
func (k *KeyRing) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	pk, err := k.keys.Key(ctx, kid)
	if err == nil {
		return pk, nil
	}
	k.mu.Lock()
	due := time.Since(k.reloadAt) > time.Second
	if due {
		k.reloadAt = time.Now()
	}
	k.mu.Unlock()
	if !due {
		return nil, err
	}
	if rerr := k.Reload(ctx); rerr != nil {
		return nil, err
	}
	return k.keys.Key(ctx, kid)
}
