-- 0001: foundation. The vector extension, the tenant role that row-level security
-- policies apply to, and the dealerships table every tenant row points at.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'avatar_tenant') THEN
    CREATE ROLE avatar_tenant NOLOGIN;
  END IF;
END
$$;

-- current_dealership() is the tenant of the running transaction (set by store.InTenant).
CREATE OR REPLACE FUNCTION current_dealership() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('avatar.dealership_id', true), '')::uuid
$$;

CREATE TABLE dealerships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dealerships_name_key ON dealerships (lower(name));

GRANT USAGE ON SCHEMA public TO avatar_tenant;
GRANT SELECT ON dealerships TO avatar_tenant;

-- Tables created by later migrations are usable by the tenant role; each tenant table
-- still needs its own RLS policy.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO avatar_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO avatar_tenant;
