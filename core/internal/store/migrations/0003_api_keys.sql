-- 0003: API keys, "ak_<id>_<secret>": only the secret's SHA-256 is stored. A key acts
-- with its role in its dealership (none for super-admin and edge-service keys).
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dealership_id uuid REFERENCES dealerships (id),
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('ROLE_SUPER_ADMIN', 'ROLE_DEALERSHIP_ADMIN', 'ROLE_TRAINEE', 'ROLE_EDGE_SERVICE')),
  secret_hash bytea NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_dealership_idx ON api_keys (dealership_id, created_at, id);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON api_keys USING (dealership_id = current_dealership());
