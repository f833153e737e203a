-- The ledger: one row per recorded fact, hash-chained in seq order (docs/ledger.md).
-- seq is assigned by the appender as max + 1 under an advisory lock, not by a sequence: sequences are
-- not transactional, so a rolled-back append would leave a hole that verify could not tell from a
-- deleted row.
CREATE TABLE ledger_entries (
  seq         bigint      PRIMARY KEY CHECK (seq > 0),
  recorded_at timestamptz NOT NULL,
  kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,62}$'),
  key         text        NOT NULL CHECK (length(key) BETWEEN 1 AND 500),
  body        jsonb       NOT NULL CHECK (jsonb_typeof(body) = 'object'),
  prev_hash   text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash        text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  -- Idempotency: an activity retried after its append committed finds its row instead of adding one.
  CONSTRAINT ledger_entries_kind_key UNIQUE (kind, key),
  -- A linear chain: no two rows may claim the same predecessor.
  CONSTRAINT ledger_entries_prev_hash UNIQUE (prev_hash),
  CONSTRAINT ledger_entries_hash UNIQUE (hash)
);

-- Reports by time range (zt report, zt incidents from the ledger).
CREATE INDEX ledger_entries_kind_recorded_at ON ledger_entries (kind, recorded_at);
