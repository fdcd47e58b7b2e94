-- 0020: role-play scenarios. A scenario row per scenario (a dealership's own, or a
-- built-in one with dealership_id NULL that every dealership reads) and an immutable row
-- per version: sessions keep the version they played, so versions are never changed or
-- removed, and deleting a scenario only hides it from the list (deleted_at).
--
-- body is the version's content as a binary avatar.scenario.v1.Scenario (proto.Marshal)
-- with the output-only fields (id, dealership, built-in flag, times, version, copy source)
-- cleared: they live in the columns. Binary rather than jsonb because the proto is the
-- schema: it round-trips exactly (unknown fields from a newer core included, no JSON
-- name or number re-interpretation), it is compact, and nothing queries inside the body;
-- what lists sort and filter on (title) is a column.

CREATE TABLE scenarios (
  -- Built-in scenarios have a stable id: a UUIDv5 of their slug (scenario.BuiltInID).
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL for built-in scenarios.
  dealership_id uuid REFERENCES dealerships (id) ON DELETE CASCADE,
  built_in boolean NOT NULL DEFAULT false,
  -- The built-in file's name without .json; NULL for a dealership's own.
  slug text,
  -- The latest version's title, for the list's order.
  title text NOT NULL,
  latest_version integer NOT NULL CHECK (latest_version >= 1),
  copied_from_id uuid REFERENCES scenarios (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CHECK (built_in = (dealership_id IS NULL)),
  CHECK (built_in = (slug IS NOT NULL))
);
CREATE UNIQUE INDEX scenarios_slug_key ON scenarios (slug) WHERE slug IS NOT NULL;
CREATE INDEX scenarios_list ON scenarios (dealership_id, lower(title), id) WHERE deleted_at IS NULL;

CREATE TABLE scenario_versions (
  scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  -- The scenario's dealership_id, repeated so the RLS policy needs no join.
  dealership_id uuid REFERENCES dealerships (id) ON DELETE CASCADE,
  body bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scenario_id, version)
);

-- A dealership reads its own rows and the built-in ones; it writes only its own. Built-in
-- rows are written by the core at start-up outside tenant scope (as the table owner).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['scenarios', 'scenario_versions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (dealership_id IS NULL OR dealership_id = current_dealership())', t || '_read', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (dealership_id = current_dealership())', t || '_insert', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (dealership_id = current_dealership()) WITH CHECK (dealership_id = current_dealership())', t || '_update', t);
  END LOOP;
END
$$;

-- Scenarios are soft-deleted and versions are immutable, also for the tenant role.
GRANT SELECT, INSERT, UPDATE ON scenarios TO avatar_tenant;
REVOKE DELETE ON scenarios FROM avatar_tenant;
GRANT SELECT, INSERT ON scenario_versions TO avatar_tenant;
REVOKE UPDATE, DELETE ON scenario_versions FROM avatar_tenant;
