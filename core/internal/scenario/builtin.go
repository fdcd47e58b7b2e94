package scenario

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/store"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// builtinFiles holds builtin/: the *.json scenarios and a README.md describing them (the
// README keeps the pattern matching while there is no scenario file).
//
//go:embed builtin
var builtinFiles embed.FS

// builtinNamespace is the UUIDv5 namespace of built-in scenario ids. Never change it:
// sessions and copies refer to built-in scenarios by these ids.
var builtinNamespace = uuid.MustParse("5b0c6a8e-3f5d-4c2a-9a63-7d2f0e9c4b11")

// syncLockID is the advisory lock key SyncBuiltIns holds, so core replicas starting
// together upsert the built-in scenarios one after the other.
const syncLockID int64 = 0x6176617461720020 // "avatar" + 0x20 (migration 0020)

// BuiltIn is one built-in scenario file.
type BuiltIn struct {
	// Slug is the file name without .json; it is the scenario's stable identity.
	Slug string
	// Scenario is the file's content as stored: output-only fields cleared, summaries
	// filled (see Validate).
	Scenario *scenariov1.Scenario
}

// BuiltInFS returns the built-in scenario files embedded in the binary (builtin/).
func BuiltInFS() fs.FS {
	// fs.Sub fails only for an invalid path name, and "builtin" is valid.
	sub, _ := fs.Sub(builtinFiles, "builtin")
	return sub
}

// BuiltInID returns the id of the built-in scenario with slug: a UUIDv5 of the slug, so
// it is the same in every database and across restarts.
func BuiltInID(slug string) string {
	return uuid.NewSHA1(builtinNamespace, []byte(slug)).String()
}

// LoadBuiltIns reads every *.json file at the root of fsys (other files and directories
// are ignored) as the protojson of an avatar.scenario.v1.Scenario, strictly (an unknown
// field is an error), and validates it. The slug, the file name without .json, must be
// lower-case letters, digits, "-" and "_", at most 64 characters. Any bad file fails the
// whole load with an error wrapping ErrInvalidBuiltIn that names the file. The result is
// sorted by slug.
func LoadBuiltIns(fsys fs.FS) ([]BuiltIn, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read built-in scenarios: %w", err)
	}
	var out []BuiltIn
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		slug := strings.TrimSuffix(name, ".json")
		if len(slug) > maxSlug || !slugRe.MatchString(slug) {
			return nil, fmt.Errorf("%w %s: the name must be a slug (a-z, 0-9, - and _, at most 64) and .json", ErrInvalidBuiltIn, name)
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read built-in scenario %s: %w", name, err)
		}
		var sc scenariov1.Scenario
		if err := protojson.Unmarshal(raw, &sc); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrInvalidBuiltIn, name, err)
		}
		c := content(&sc)
		if err := Validate(c); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrInvalidBuiltIn, name, err)
		}
		out = append(out, BuiltIn{Slug: slug, Scenario: c})
	}
	return out, nil
}

// SyncResult counts what SyncBuiltIns did.
type SyncResult struct {
	// Created are new built-in scenarios (version 1).
	Created int
	// Updated are built-in scenarios whose content changed: a new version.
	Updated int
	// Unchanged are built-in scenarios already stored with this content.
	Unchanged int
	// Restored are built-in scenarios removed earlier and back with their latest
	// content: visible again, same version.
	Restored int
	// Removed are built-in scenarios whose file is gone: hidden from lists like a
	// deleted scenario, their versions kept for the sessions that played them.
	Removed int
}

// SyncBuiltIns makes the stored built-in scenarios match builtIns, in one transaction
// outside tenant scope (the pool's role must own the scenario tables): a slug seen for
// the first time is created with id BuiltInID(slug) and version 1; a slug whose content
// differs from its latest version gets a new version; an unchanged one is left alone, so
// running it again changes nothing; stored built-ins missing from builtIns are hidden
// (and come back, without a new version, when their file does). Concurrent calls, from
// several replicas starting together, take turns on an advisory lock. Content is
// compared with proto.Equal, so a re-encoding of the same scenario is no change.
func (s *Service) SyncBuiltIns(ctx context.Context, builtIns []BuiltIn) (SyncResult, error) {
	var res SyncResult
	slugs := make([]string, 0, len(builtIns))
	for _, b := range builtIns {
		slugs = append(slugs, b.Slug)
	}
	err := store.InTx(ctx, s.db, func(tx pgx.Tx) error {
		res = SyncResult{}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", syncLockID); err != nil {
			return fmt.Errorf("lock built-in scenarios: %w", err)
		}
		for _, b := range builtIns {
			if err := syncOne(ctx, tx, b, &res); err != nil {
				return fmt.Errorf("built-in scenario %s: %w", b.Slug, err)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE scenarios SET deleted_at = now(), updated_at = now()
			WHERE built_in AND deleted_at IS NULL AND NOT (slug = ANY($1))`, slugs)
		if err != nil {
			return fmt.Errorf("hide removed built-in scenarios: %w", err)
		}
		res.Removed = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return SyncResult{}, err
	}
	return res, nil
}

func syncOne(ctx context.Context, tx pgx.Tx, b BuiltIn, res *SyncResult) error {
	id := BuiltInID(b.Slug)
	body, err := marshal(b.Scenario)
	if err != nil {
		return err
	}
	var latest int32
	var deleted bool
	var old []byte
	err = tx.QueryRow(ctx, `SELECT s.latest_version, s.deleted_at IS NOT NULL, v.body
		FROM scenarios s JOIN scenario_versions v ON v.scenario_id = s.id AND v.version = s.latest_version
		WHERE s.id = $1`, id).Scan(&latest, &deleted, &old)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, `INSERT INTO scenarios (id, dealership_id, built_in, slug, title, latest_version)
			VALUES ($1, NULL, true, $2, $3, 1)`, id, b.Slug, b.Scenario.GetTitle()); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body)
			VALUES ($1, 1, NULL, $2)`, id, body); err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		res.Created++
		return nil
	case err != nil:
		return fmt.Errorf("read: %w", err)
	}
	var stored scenariov1.Scenario
	if err := proto.Unmarshal(old, &stored); err == nil && proto.Equal(&stored, b.Scenario) {
		if !deleted {
			res.Unchanged++
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE scenarios SET deleted_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		res.Restored++
		return nil
	}
	next := latest + 1
	if _, err := tx.Exec(ctx, `UPDATE scenarios SET latest_version = $2, title = $3, deleted_at = NULL, updated_at = now()
		WHERE id = $1`, id, next, b.Scenario.GetTitle()); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO scenario_versions (scenario_id, version, dealership_id, body)
		VALUES ($1, $2, NULL, $3)`, id, next, body); err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	res.Updated++
	return nil
}

func marshal(sc *scenariov1.Scenario) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("encode scenario: %w", err)
	}
	return b, nil
}
