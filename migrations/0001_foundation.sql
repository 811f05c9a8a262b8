-- Foundation: this workstation's identity, accounts, sessions, settings, the audit chain
-- and the outbox. Append-only: never edit a released migration, add a new one.
-- All instants are UTC text in RFC 3339 with microseconds and 'Z' (see domain::audit::format_utc).

CREATE TABLE workstation (
    id          TEXT PRIMARY KEY NOT NULL,            -- device id, UUIDv7, made once per data directory
    created_at  TEXT NOT NULL,
    singleton   INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1)
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,               -- lower-cased by the domain
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin','lab_manager','technician','field_coordinator','viewer')),
    password_hash  TEXT NOT NULL,                      -- argon2id PHC string
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deactivated_at TEXT
);

-- Throttle state per attempted username (existing or not, so it reveals nothing),
-- persisted so a restart does not reset a lockout (predecessor finding I-06).
CREATE TABLE login_throttle (
    username      TEXT PRIMARY KEY NOT NULL,
    failures      INTEGER NOT NULL,
    locked_until  TEXT,
    last_failure  TEXT NOT NULL
);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,                -- SHA-256 of the bearer token; the token is never stored
    user_id       TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_why   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id),
    issued_by   TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,                         -- JSON
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY NOT NULL,
    at           TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    old_value    TEXT,
    new_value    TEXT,
    reason       TEXT,
    context      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_entity ON audit_log(entity_type, entity_id);

-- The audit trail is append-only (21 CFR 11.10(e)).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Every executed command, in order, for the hub to re-execute.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY NOT NULL,
    command_id      TEXT NOT NULL UNIQUE,              -- UUIDv7
    device_id       TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    actor_id        TEXT NOT NULL,
    payload         TEXT NOT NULL,                     -- JSON of domain::Command
    pushed_at       TEXT
);
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are kept; mark them pushed'); END;
