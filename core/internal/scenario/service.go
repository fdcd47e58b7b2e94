package scenario

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// List page sizes.
const (
	// DefaultPageSize is the list page size when none is asked for.
	DefaultPageSize = 50
	// MaxPageSize is the largest list page size.
	MaxPageSize = 200
	// maxPageBytes ends a list page early once its scenarios' bodies reach this size
	// (at least one scenario per page), so that 200 large scenarios never make one
	// oversized answer.
	maxPageBytes = 4 << 20
)

// Config configures the Service.
type Config struct {
	// DB is the read-write pool. Required. Dealership calls run in tenant transactions
	// (store.InTenant); the built-in scenarios are written outside tenant scope, so the
	// pool's role must own the scenario tables (the role that migrates does). The pool
	// must stay open while the Service is used.
	DB *pgxpool.Pool
	// BuiltIns holds the built-in scenario files (*.json at its root, see
	// LoadBuiltIns); nil means the files embedded in the binary (BuiltInFS).
	BuiltIns fs.FS
	// Log receives the service's logs; nil discards them.
	Log *slog.Logger
}

// Service stores scenarios. Build it with New; its methods are safe for concurrent use.
// Every method takes the dealership the call acts in and sees that dealership's own
// scenarios plus the built-in ones.
type Service struct {
	db  *pgxpool.Pool
	log *slog.Logger
}

// New checks cfg, loads and validates the built-in scenario files and upserts them
// (SyncBuiltIns), and returns the service. A bad built-in file fails New: the core does
// not start with a scenario its engine cannot play.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("%w: DB is required", ErrInvalidConfig)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.BuiltIns == nil {
		cfg.BuiltIns = BuiltInFS()
	}
	builtIns, err := LoadBuiltIns(cfg.BuiltIns)
	if err != nil {
		return nil, err
	}
	s := &Service{db: cfg.DB, log: cfg.Log}
	res, err := s.SyncBuiltIns(ctx, builtIns)
	if err != nil {
		return nil, fmt.Errorf("store built-in scenarios: %w", err)
	}
	s.log.InfoContext(ctx, "built-in scenarios stored", "files", len(builtIns), "created", res.Created,
		"updated", res.Updated, "unchanged", res.Unchanged, "restored", res.Restored, "removed", res.Removed)
	return s, nil
}

// row is a scenario row joined with one of its versions.
type row struct {
	id, dealershipID, copiedFrom string
	builtIn, deleted             bool
	title                        string
	created, versionCreated      time.Time
	version                      int32
	body                         []byte
}

const rowColumns = `s.id::text, COALESCE(s.dealership_id::text, ''), COALESCE(s.copied_from_id::text, ''),
	s.built_in, s.deleted_at IS NOT NULL, s.title, s.created_at, v.created_at, v.version, v.body`

func scanRow(r pgx.Row) (row, error) {
	var x row
	err := r.Scan(&x.id, &x.dealershipID, &x.copiedFrom, &x.builtIn, &x.deleted, &x.title, &x.created, &x.versionCreated, &x.version, &x.body)
	return x, err
}

// proto decodes the body and fills the output-only fields from the columns.
func (x row) proto() (*scenariov1.Scenario, error) {
	var sc scenariov1.Scenario
	if err := proto.Unmarshal(x.body, &sc); err != nil {
		return nil, fmt.Errorf("decode scenario %s version %d: %w", x.id, x.version, err)
	}
	sc.Id, sc.DealershipId, sc.BuiltIn, sc.CopiedFromId = x.id, x.dealershipID, x.builtIn, x.copiedFrom
	sc.Version = x.version
	sc.CreateTime, sc.UpdateTime = timestamppb.New(x.created), timestamppb.New(x.versionCreated)
	return &sc, nil
}

// get reads scenario id (the latest version for version 0) as seen by dealershipID.
// The latest version of a deleted scenario is ErrNotFound; a named version of it is
// returned.
func get(ctx context.Context, tx pgx.Tx, dealershipID, id string, version int32) (row, error) {
	if !validate.IsUUID(id) {
		return row{}, ErrNotFound
	}
	x, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowColumns+`
		FROM scenarios s JOIN scenario_versions v
			ON v.scenario_id = s.id AND v.version = CASE WHEN $3 = 0 THEN s.latest_version ELSE $3 END
		WHERE s.id = $1 AND (s.dealership_id = $2 OR s.dealership_id IS NULL)`, id, dealershipID, version))
	if errors.Is(err, pgx.ErrNoRows) {
		if version == 0 {
			return row{}, ErrNotFound
		}
		// Tell an unknown scenario from an unknown version of a visible one.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scenarios WHERE id = $1 AND (dealership_id = $2 OR dealership_id IS NULL))`, id, dealershipID).Scan(&exists); err != nil {
			return row{}, fmt.Errorf("look up scenario: %w", err)
		}
		if exists {
			return row{}, ErrVersionNotFound
		}
		return row{}, ErrNotFound
	}
	if err != nil {
		return row{}, fmt.Errorf("read scenario: %w", err)
	}
	if version == 0 && x.deleted {
		return row{}, ErrNotFound
	}
	return x, nil
}

// Get returns scenario id as seen by dealershipID: its latest version when version is 0,
// else that version. Another dealership's scenario is ErrNotFound; a deleted one is
// ErrNotFound for version 0 and still returned for a named version (sessions keep the
// version they played); a version the scenario does not have is ErrVersionNotFound.
func (s *Service) Get(ctx context.Context, dealershipID, id string, version int32) (*scenariov1.Scenario, error) {
	if version < 0 {
		return nil, ErrVersionNotFound
	}
	var out *scenariov1.Scenario
	err := store.InTenant(ctx, s.db, dealershipID, func(tx pgx.Tx) error {
		x, err := get(ctx, tx, dealershipID, id, version)
		if err != nil {
			return err
		}
		out, err = x.proto()
		return err
	})
	return out, err
}

// List returns a page of the scenarios dealershipID sees, latest versions, deleted ones
// left out: the built-in scenarios first, then the dealership's own, each ordered by
// title (case-insensitively), then id. pageSize 0 means DefaultPageSize and is capped
// at MaxPageSize; a page also ends early once its scenarios add up to 4 MiB. next is
// the token of the following page, "" on the last; a token not from List is
// ErrInvalidPageToken. Tokens carry the position, so scenarios added, renamed or
// deleted between pages never make a page repeat or skip the others.
func (s *Service) List(ctx context.Context, dealershipID string, pageSize int, pageToken string) (scenarios []*scenariov1.Scenario, next string, err error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	after, paged, err := decodeCursor(pageToken)
	if err != nil {
		return nil, "", err
	}
	err = store.InTenant(ctx, s.db, dealershipID, func(tx pgx.Tx) error {
		scenarios, next = nil, ""
		q := `SELECT ` + rowColumns + `
			FROM scenarios s JOIN scenario_versions v ON v.scenario_id = s.id AND v.version = s.latest_version
			WHERE s.deleted_at IS NULL AND (s.dealership_id = $1 OR s.dealership_id IS NULL)`
		args := []any{dealershipID, pageSize + 1}
		if paged {
			q += ` AND (NOT s.built_in, lower(s.title), s.id) > (NOT $3::boolean, lower($4::text), $5::uuid)`
			args = append(args, after.builtIn, after.title, after.id)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY NOT s.built_in, lower(s.title), s.id LIMIT $2`, args...)
		if err != nil {
			return fmt.Errorf("list scenarios: %w", err)
		}
		defer rows.Close()
		var last row
		bytes, more := 0, false
		for rows.Next() {
			if len(scenarios) == pageSize || (len(scenarios) > 0 && bytes >= maxPageBytes) {
				more = true
				break
			}
			x, err := scanRow(rows)
			if err != nil {
				return fmt.Errorf("list scenarios: %w", err)
			}
			sc, err := x.proto()
			if err != nil {
				return err
			}
			scenarios = append(scenarios, sc)
			bytes += len(x.body)
			last = x
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list scenarios: %w", err)
		}
		if more {
			next = cursor{builtIn: last.builtIn, title: last.title, id: last.id}.encode()
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return scenarios, next, nil
}

// Create adds a scenario to dealershipID with version 1 and returns it. With copyFromID
// empty, sc is the new scenario. Otherwise the scenario copyFromID (built-in or the
// dealership's own, latest version, not deleted) is copied, the fields set in sc (which
// may be nil) replacing the copy's (see applyOverrides: non-empty strings and lists,
// non-zero numbers, and messages field by field), and the copy records copied_from_id.
// The result must pass Validate (a *validate.Error otherwise). Output-only fields of sc
// are ignored. An unknown dealership is ErrDealershipNotFound.
func (s *Service) Create(ctx context.Context, dealershipID string, sc *scenariov1.Scenario, copyFromID string) (*scenariov1.Scenario, error) {
	var body *scenariov1.Scenario
	if copyFromID == "" {
		if sc == nil {
			return nil, validate.Invalid(ErrInvalid, "scenario", "is required (or copyFromId)")
		}
		body = content(sc)
		if err := Validate(body); err != nil {
			return nil, err
		}
	}
	var out *scenariov1.Scenario
	err := store.InTenant(ctx, s.db, dealershipID, func(tx pgx.Tx) error {
		if copyFromID != "" {
			src, err := get(ctx, tx, dealershipID, copyFromID, 0)
			if err != nil {
				return err
			}
			from, err := src.proto()
			if err != nil {
				return err
			}
			body = applyOverrides(from, sc)
			if err := Validate(body); err != nil {
				return err
			}
		}
		raw, err := marshal(body)
		if err != nil {
			return err
		}
		x := row{title: body.GetTitle(), version: 1, body: raw}
		err = tx.QueryRow(ctx, `INSERT INTO scenarios (dealership_id, title, latest_version, copied_from_id)
			VALUES ($1, $2, 1, NULLIF($3, '')::uuid)
			RETURNING id::text, dealership_id::text, COALESCE(copied_from_id::text, ''), created_at`,
			dealershipID, x.title, copyFromID).Scan(&x.id, &x.dealershipID, &x.copiedFrom, &x.created)
		if isForeignKey(err) {
			return ErrDealershipNotFound
		}
		if err != nil {
			return fmt.Errorf("insert scenario: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body)
			VALUES ($1, 1, $2, $3) RETURNING created_at`, x.id, dealershipID, raw).Scan(&x.versionCreated); err != nil {
			return fmt.Errorf("insert scenario version: %w", err)
		}
		out, err = x.proto()
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update replaces the content of dealershipID's scenario sc.Id with sc as a new version
// (the latest plus one) and returns it; earlier versions stay. sc.Version must be the
// version the edit started from, the latest, else ErrConflict. The other output-only
// fields of sc are ignored and the copy source is kept. A built-in scenario is
// ErrBuiltInReadOnly; another dealership's, an unknown or a deleted one ErrNotFound; an
// invalid sc a *validate.Error.
func (s *Service) Update(ctx context.Context, dealershipID string, sc *scenariov1.Scenario) (*scenariov1.Scenario, error) {
	if sc == nil {
		return nil, validate.Invalid(ErrInvalid, "scenario", "is required")
	}
	id, base := sc.GetId(), sc.GetVersion()
	if !validate.IsUUID(id) {
		return nil, ErrNotFound
	}
	if base < 1 {
		return nil, validate.Invalid(ErrInvalid, "scenario.version", "must be the version the edit started from (1 or more)")
	}
	body := content(sc)
	if err := Validate(body); err != nil {
		return nil, err
	}
	raw, err := marshal(body)
	if err != nil {
		return nil, err
	}
	var out *scenariov1.Scenario
	err = store.InTenant(ctx, s.db, dealershipID, func(tx pgx.Tx) error {
		if err := writable(ctx, tx, dealershipID, id); err != nil {
			return err
		}
		x := row{title: body.GetTitle(), body: raw}
		// The version check and the bump are one statement: a concurrent update that
		// committed first makes this one match no row.
		err := tx.QueryRow(ctx, `UPDATE scenarios SET latest_version = latest_version + 1, title = $4, updated_at = now()
			WHERE id = $1 AND dealership_id = $2 AND deleted_at IS NULL AND latest_version = $3
			RETURNING id::text, dealership_id::text, latest_version, created_at, COALESCE(copied_from_id::text, '')`,
			id, dealershipID, base, x.title).Scan(&x.id, &x.dealershipID, &x.version, &x.created, &x.copiedFrom)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("update scenario: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body)
			VALUES ($1, $2, $3, $4) RETURNING created_at`, id, x.version, dealershipID, raw).Scan(&x.versionCreated); err != nil {
			return fmt.Errorf("insert scenario version: %w", err)
		}
		out, err = x.proto()
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete hides dealershipID's scenario id from List and from Get without a version; its
// versions stay readable by number. A built-in scenario is ErrBuiltInReadOnly; another
// dealership's, an unknown or an already deleted one ErrNotFound.
func (s *Service) Delete(ctx context.Context, dealershipID, id string) error {
	if !validate.IsUUID(id) {
		return ErrNotFound
	}
	return store.InTenant(ctx, s.db, dealershipID, func(tx pgx.Tx) error {
		if err := writable(ctx, tx, dealershipID, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE scenarios SET deleted_at = now(), updated_at = now()
			WHERE id = $1 AND dealership_id = $2 AND deleted_at IS NULL`, id, dealershipID)
		if err != nil {
			return fmt.Errorf("delete scenario: %w", err)
		}
		if tag.RowsAffected() == 0 { // deleted by a concurrent call
			return ErrNotFound
		}
		return nil
	})
}

// writable checks that id is a scenario dealershipID may change: its own, not deleted.
func writable(ctx context.Context, tx pgx.Tx, dealershipID, id string) error {
	var builtIn, deleted bool
	err := tx.QueryRow(ctx, `SELECT built_in, deleted_at IS NOT NULL FROM scenarios
		WHERE id = $1 AND (dealership_id = $2 OR dealership_id IS NULL)`, id, dealershipID).Scan(&builtIn, &deleted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("read scenario: %w", err)
	case builtIn:
		return ErrBuiltInReadOnly
	case deleted:
		return ErrNotFound
	}
	return nil
}

func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
