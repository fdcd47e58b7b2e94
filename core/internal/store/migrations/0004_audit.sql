-- 0004: the audit log. One row per successful mutating call; secrets never appear in
-- changed_fields (they are written as "[REDACTED]").
CREATE TABLE audit_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dealership_id uuid REFERENCES dealerships (id),
  actor_id text NOT NULL,
  actor_email text NOT NULL DEFAULT '',
  action text NOT NULL,
  resource_type text NOT NULL DEFAULT '',
  resource_id text NOT NULL DEFAULT '',
  changed_fields jsonb NOT NULL DEFAULT '{}',
  ip text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_dealership_idx ON audit_events (dealership_id, created_at DESC, id DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_events USING (dealership_id = current_dealership());
