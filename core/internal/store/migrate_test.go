package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/store"
)

func TestMigrateFromEmptyThenNoop(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, dbtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := store.Migrate(ctx, pool, nil)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) != len(all) {
		t.Fatalf("applied %d of %d migrations", len(applied), len(all))
	}
	var ext string
	if err := pool.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").Scan(&ext); err != nil {
		t.Fatalf("vector extension missing after migrate: %v", err)
	}
	again, err := store.Migrate(ctx, pool, nil)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("re-run applied %v, want nothing", again)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(all) {
		t.Fatalf("schema_migrations has %d rows (err %v), want %d", n, err, len(all))
	}
}

// TestMigrateConcurrently runs several migrators on separate pools, as replicas starting
// together would; the advisory lock must let exactly one apply each migration.
func TestMigrateConcurrently(t *testing.T) {
	ctx := t.Context()
	url := dbtest.Empty(t)
	const replicas = 4
	var wg sync.WaitGroup
	results := make([][]int, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			results[i], errs[i] = store.Migrate(ctx, pool, nil)
		}()
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	all, _ := store.Migrations()
	if total != len(all) {
		t.Fatalf("replicas applied %d migrations in total, want exactly %d", total, len(all))
	}
}

func TestInTenantRequiresDealership(t *testing.T) {
	pool := dbtest.NewPool(t)
	err := store.InTenant(context.Background(), pool, "", nil)
	if !errors.Is(err, store.ErrNoTenant) {
		t.Fatalf("got %v, want ErrNoTenant", err)
	}
}

func TestReadPoolFallsBackToPrimary(t *testing.T) {
	url := dbtest.New(t)
	s, err := store.Open(t.Context(), store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Read() != s.Primary() {
		t.Fatal("without a read URL, reads must go to the primary")
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, err := store.Open(t.Context(), store.Config{URL: url, ReadURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Read() == r.Primary() {
		t.Fatal("with a read URL, reads must use their own pool")
	}
}
