-- The hub's record on PostgreSQL (aliquot-hub --database postgres://…): everything that
-- several hub processes share. The lab's own tables are not here: each hub process keeps
-- a SQLite copy of them, made and kept current from `hub_changes` (ARCHITECTURE.md, "The
-- hub on PostgreSQL"). Versioned by `hub_schema`; applied by aliquot-hub's pg module.

-- Which hub this database is: its id is what workstations pin, whichever process answers.
CREATE TABLE hub_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    hub_id     TEXT NOT NULL
);

-- Enrolled workstations. The credential is stored only as its SHA-256.
CREATE TABLE hub_devices (
    device_id        TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    credential_hash  TEXT NOT NULL UNIQUE,
    enrolled_at      TEXT NOT NULL,
    revoked_at       TEXT,
    revoked_why      TEXT,
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_seen_at     TEXT,
    chain_seq        BIGINT NOT NULL DEFAULT 0,
    chain_hash       TEXT NOT NULL
        DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    chain_broken     TEXT,
    chain_restart    BOOLEAN NOT NULL DEFAULT FALSE
);

-- One-time enrollment codes, stored as SHA-256, with their expiry.
CREATE TABLE hub_enrollments (
    code_hash    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    used_by      TEXT
);

-- Every pushed command the hub decided, with its outcome (a resend gets the same answer).
CREATE TABLE hub_claims (
    command_id    TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES hub_devices(device_id),
    seq           BIGINT NOT NULL,
    payload_hash  TEXT NOT NULL,
    outcome       TEXT NOT NULL,                      -- JSON aliquot_sync::Outcome
    change        BIGINT NOT NULL,
    received_at   TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX hub_claims_change ON hub_claims (device_id, change);

-- The feed's head: the newest change number. Moved only by a process holding the
-- decision lock (pg_advisory_xact_lock), so numbers become visible in commit order.
CREATE TABLE hub_counter (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    value      BIGINT NOT NULL CHECK (value >= 0)
);
INSERT INTO hub_counter (singleton, value) VALUES (1, 0);

-- The change feed: each lab row's image after each change (NULL: removed), as the
-- deciding process's SQLite wrote it (text, byte for byte: digests hash what it applies).
CREATE TABLE hub_changes (
    seq      BIGSERIAL PRIMARY KEY,
    change   BIGINT NOT NULL,
    tbl      TEXT NOT NULL,
    key      TEXT NOT NULL,
    row      TEXT
);
CREATE INDEX hub_changes_change ON hub_changes (change, seq);

-- How the hub leases number blocks to workstations.
CREATE TABLE hub_lease_policy (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    sample_prefix      TEXT NOT NULL,
    sample_digits      INTEGER NOT NULL CHECK (sample_digits BETWEEN 4 AND 9),
    sample_block       BIGINT NOT NULL CHECK (sample_block > 0),
    participant_block  BIGINT NOT NULL CHECK (participant_block > 0)
);
INSERT INTO hub_lease_policy (singleton, sample_prefix, sample_digits, sample_block, participant_block)
VALUES (1, 'S', 7, 1000, 100);

-- Each device's audit chain as the hub receives it.
CREATE TABLE hub_device_audit (
    device_id  TEXT NOT NULL REFERENCES hub_devices(device_id),
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    row        TEXT NOT NULL,                          -- JSON StoredAuditRow
    PRIMARY KEY (device_id, seq)
);

-- The trails and the feed are append-only, as the store's audit log is in SQLite: no
-- process, and no one with the hub's login, rewrites what was kept.
CREATE FUNCTION hub_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER hub_device_audit_append_only BEFORE UPDATE OR DELETE ON hub_device_audit
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER hub_changes_append_only BEFORE UPDATE OR DELETE ON hub_changes
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
