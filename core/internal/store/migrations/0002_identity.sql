-- 0002: identity. Users (tenant rows under row-level security), refresh-token families,
-- TOTP recovery codes and the access-token signing keys.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL only for super admins, who belong to no dealership.
  dealership_id uuid REFERENCES dealerships (id),
  email text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('ROLE_SUPER_ADMIN', 'ROLE_DEALERSHIP_ADMIN', 'ROLE_TRAINEE')),
  display_name text NOT NULL DEFAULT '',
  active boolean NOT NULL DEFAULT true,
  -- The TOTP secret, sealed by secrets.Box with the user id as additional data.
  totp_secret bytea,
  totp_enabled boolean NOT NULL DEFAULT false,
  -- The last TOTP time step accepted, so a code works once.
  totp_last_step bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'ROLE_SUPER_ADMIN') = (dealership_id IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_dealership_idx ON users (dealership_id, created_at, id);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON users USING (dealership_id = current_dealership());

-- Refresh tokens: only SHA-256 hashes are stored. Every rotation adds a row to the
-- family; presenting a used row revokes the family.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dealership_id uuid REFERENCES dealerships (id),
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The family's absolute end: rotation never extends it.
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Ed25519 signing keys; the private key is sealed by secrets.Box with the kid as
-- additional data. Retired keys stay published until every token they signed expired.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  private_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
