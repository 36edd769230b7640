-- The dollr execution journal on PostgreSQL, schema version 1.
--
-- dollr applies this itself when a journal opens (inside a transaction holding
-- pg_advisory_xact_lock, so instances starting together do not race), unless the version is
-- already recorded. A DBA who prefers to apply it by hand replaces the two placeholders
-- (__SCHEMA__: the `schema` URL option, default public; __PREFIX__: the `table_prefix` option,
-- default dollr_) and runs it once, e.g.:
--
--   sed -e 's/__SCHEMA__/public/g' -e 's/__PREFIX__/dollr_/g' postgres.sql | psql "$DATABASE_URL"
--
-- The app's database user then needs only SELECT, INSERT, UPDATE on both tables.

CREATE SCHEMA IF NOT EXISTS "__SCHEMA__";

-- Which versions of this file were applied.
CREATE TABLE IF NOT EXISTS "__SCHEMA__"."__PREFIX__journal_migrations" (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per execution intent, written before its POST is sent.
CREATE TABLE IF NOT EXISTS "__SCHEMA__"."__PREFIX__execution_intents" (
    reference_id        TEXT PRIMARY KEY,            -- UUID v4: the API's idempotency key
    operation           TEXT NOT NULL,               -- COLLECTION | PAYOUT | TRANSFER | REFUND
    request_hash        TEXT NOT NULL,               -- hex sha256 of the canonical request
    request_json        TEXT NOT NULL,               -- the request, secrets removed (exact JSON text)
    state               TEXT NOT NULL                -- where it stands (only moves forward)
        CHECK (state IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REJECTED', 'NOT_SUBMITTED')),
    attempts            INTEGER NOT NULL DEFAULT 0,  -- POSTs started, by every instance
    last_status         TEXT,                        -- the API's last execution status
    last_execution_json TEXT,                        -- the API's last answer (no client_secret)
    last_error          TEXT,                        -- redacted
    lease_owner         TEXT,                        -- the instance working on it now, if any
    lease_expires_at    TIMESTAMPTZ,                 -- until when (this server's clock)
    lease_generation    BIGINT NOT NULL DEFAULT 0,   -- bumped when the lease changes hands (fencing)
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- reconcile(): the unresolved intents, oldest first (claimed with FOR UPDATE SKIP LOCKED).
CREATE INDEX IF NOT EXISTS "__PREFIX__execution_intents_unresolved"
    ON "__SCHEMA__"."__PREFIX__execution_intents" (created_at, reference_id)
    WHERE state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED');

INSERT INTO "__SCHEMA__"."__PREFIX__journal_migrations" (version, description)
    VALUES (1, 'execution intents with leases')
    ON CONFLICT (version) DO NOTHING;
