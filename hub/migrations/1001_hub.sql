-- The hub's own tables, beside the lab's tables (the same migrations as a workstation's).
-- Versioned by `hub_schema`, applied by aliquot-hub's db module; append-only like those.

-- Enrolled workstations. The credential is stored only as its SHA-256.
CREATE TABLE hub_devices (
    device_id        TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    credential_hash  TEXT NOT NULL UNIQUE,
    enrolled_at      TEXT NOT NULL,
    revoked_at       TEXT,
    revoked_why      TEXT,
    -- The device's last decided outbox sequence: the next push must start after it.
    last_seq         INTEGER NOT NULL DEFAULT 0,
    last_seen_at     TEXT
);

-- One-time enrollment codes, stored as SHA-256, with their expiry.
CREATE TABLE hub_enrollments (
    code_hash    TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    used_by      TEXT
);

-- Every pushed command the hub decided: claimed by its id, with its outcome, so a resend
-- gets the same answer. `change` is the change number of the transaction that decided it.
CREATE TABLE hub_claims (
    command_id    TEXT PRIMARY KEY NOT NULL,
    device_id     TEXT NOT NULL REFERENCES hub_devices(device_id),
    seq           INTEGER NOT NULL,
    payload_hash  TEXT NOT NULL,
    outcome       TEXT NOT NULL,                      -- JSON aliquot_sync::Outcome
    change        INTEGER NOT NULL,
    received_at   TEXT NOT NULL,                      -- the hub's time; the command carries its own
    UNIQUE (device_id, seq)
);
CREATE INDEX hub_claims_change ON hub_claims(device_id, change);

-- The change counter: every hub transaction that changes lab rows takes the next number
-- here first, under the write lock, so numbers become visible in commit order.
CREATE TABLE hub_counter (
    singleton  INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    value      INTEGER NOT NULL,
    -- 1 only inside a transaction that took its number; lab rows change only then.
    open       INTEGER NOT NULL DEFAULT 0 CHECK (open IN (0, 1))
);
INSERT INTO hub_counter (singleton, value, open) VALUES (1, 0, 0);

-- The change feed: each lab row's image after each change (NULL: removed), written by
-- triggers on the lab tables that the hub installs when it opens.
CREATE TABLE hub_changes (
    seq      INTEGER PRIMARY KEY NOT NULL,
    change   INTEGER NOT NULL,
    tbl      TEXT NOT NULL,
    key      TEXT NOT NULL,                            -- JSON object of the primary key
    row      TEXT                                      -- JSON row image, NULL when removed
);
CREATE INDEX hub_changes_change ON hub_changes(change);
