-- 0030: analytics, the record of every training and role-play session. The edges publish
-- SessionStarted, TurnCompleted and SessionEnded to AVATAR_EVENTS; the core's consumers
-- (package analytics) write them here. Every write is keyed by the event's id, so a
-- redelivered event writes nothing: a turn row's primary key is its event id, and a
-- session remembers the ids of its start and end events and takes each only once.
-- Events arrive in any order: the first event of a session, whichever it is, creates its
-- row, and the others fill it in.

CREATE TABLE analytics_sessions (
  -- The edge's session id (32 hex characters today; any short token is accepted).
  id text PRIMARY KEY,
  dealership_id uuid NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  -- avatar.conversation.v1.Mode; 0 until an event that names it arrives.
  mode smallint NOT NULL DEFAULT 0,
  scenario_id uuid,
  scenario_version integer NOT NULL DEFAULT 0,
  region text NOT NULL DEFAULT '',
  edge_id text NOT NULL DEFAULT '',
  -- started_at is SessionStarted's time; until that event arrives, the earliest turn's.
  started_at timestamptz NOT NULL,
  -- last_event_at is the latest event time (the edge's clock); seen_at is when the core
  -- last recorded an event of the session. The sweeper closes a session when both are
  -- older than its timeout.
  last_event_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  -- "ended", "idle", "shutdown" (SessionEnded.reason) or "abandoned" (the sweeper).
  end_reason text NOT NULL DEFAULT '',
  -- recorded_turns counts the trainee turns recorded; reported_turns is
  -- SessionEnded.turn_count, the trainee turns the edge counted.
  recorded_turns integer NOT NULL DEFAULT 0,
  reported_turns integer NOT NULL DEFAULT 0,
  overall_score double precision,
  -- avatar.scenario.v1.Outcome.
  outcome smallint NOT NULL DEFAULT 0,
  -- The avatar.scenario.v1.Scorecard (proto.Marshal); NULL for ungraded sessions.
  scorecard bytea,
  -- The ids of the events taken; NULL until then. An abandoned session has no end event:
  -- a SessionEnded that arrives later still ends it properly.
  start_event_id text UNIQUE,
  end_event_id text UNIQUE,
  -- The session.ended webhook is due at webhook_due_at (NULL: nothing to send).
  webhook_due_at timestamptz,
  webhook_attempts integer NOT NULL DEFAULT 0,
  CHECK (ended_at IS NULL OR end_reason <> '')
);
CREATE INDEX analytics_sessions_list ON analytics_sessions (dealership_id, started_at DESC, id DESC);
CREATE INDEX analytics_sessions_user ON analytics_sessions (dealership_id, user_id, started_at DESC, id DESC);
CREATE INDEX analytics_sessions_open ON analytics_sessions (seen_at) WHERE ended_at IS NULL;
CREATE INDEX analytics_sessions_webhook ON analytics_sessions (webhook_due_at) WHERE webhook_due_at IS NOT NULL;
CREATE INDEX analytics_sessions_age ON analytics_sessions (dealership_id, last_event_at);

-- One row per turn: the trainee's words and the reply, as the avatar.analytics.v1.Turn
-- the edge sent (body), with the columns the analytics queries read.
CREATE TABLE analytics_turns (
  -- TurnCompleted.event_id: "<session>:<turn index>".
  event_id text PRIMARY KEY,
  session_id text NOT NULL REFERENCES analytics_sessions (id) ON DELETE CASCADE,
  dealership_id uuid NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  turn_index integer NOT NULL,
  region text NOT NULL DEFAULT '',
  -- The turn's time (the edge's clock).
  at timestamptz NOT NULL,
  -- "" for a trainee turn, "customer" for the role-play customer's opening.
  speaker text NOT NULL DEFAULT '',
  user_text text NOT NULL DEFAULT '',
  -- The coach found nothing in the knowledge base.
  unanswered boolean NOT NULL DEFAULT false,
  -- Stage latencies in milliseconds (callevent stage names); NULL when the turn had none.
  endpoint_ms real,
  stt_final_ms real,
  first_text_ms real,
  first_audio_ms real,
  first_packet_ms real,
  turn_gap_ms real,
  body bytea NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_turns_session ON analytics_turns (session_id, turn_index);
CREATE INDEX analytics_turns_at ON analytics_turns (at);
CREATE INDEX analytics_turns_questions ON analytics_turns (dealership_id, at) WHERE user_text <> '';

-- A graded session's scorecard items, for the techniques most often missed.
CREATE TABLE analytics_scorecard_items (
  session_id text NOT NULL REFERENCES analytics_sessions (id) ON DELETE CASCADE,
  position integer NOT NULL,
  dealership_id uuid NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  -- avatar.scenario.v1.Technique.
  technique smallint NOT NULL,
  criterion text NOT NULL DEFAULT '',
  score double precision NOT NULL,
  max_score double precision NOT NULL,
  PRIMARY KEY (session_id, position)
);
CREATE INDEX analytics_scorecard_items_user ON analytics_scorecard_items (dealership_id, user_id);

-- Per-dealership settings; a dealership without a row keeps sessions 365 days.
CREATE TABLE analytics_settings (
  dealership_id uuid PRIMARY KEY REFERENCES dealerships (id) ON DELETE CASCADE,
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Sessions deleted by an admin: events of theirs still in the stream (redelivered, or
-- published after the delete) are not written again. Kept 30 days, longer than the
-- stream keeps events.
CREATE TABLE analytics_deleted_sessions (
  session_id text PRIMARY KEY,
  dealership_id uuid NOT NULL REFERENCES dealerships (id) ON DELETE CASCADE,
  deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_deleted_sessions_age ON analytics_deleted_sessions (deleted_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['analytics_sessions', 'analytics_turns', 'analytics_scorecard_items',
    'analytics_settings', 'analytics_deleted_sessions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (dealership_id = current_dealership()) WITH CHECK (dealership_id = current_dealership())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO avatar_tenant', t);
  END LOOP;
END
$$;
