-- Every command the hub refused, as a record of the lab: the hub writes one with each
-- refusal and every workstation pulls them, so a lab manager sees the refusals of every
-- workstation, offline too; settling one is a command (resolve_sync_issue).
CREATE TABLE sync_issues (
    command_id      TEXT PRIMARY KEY,        -- the refused command
    device_id       TEXT NOT NULL,
    device_name     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,           -- when the workstation recorded it
    decided_at      TEXT NOT NULL,           -- when the hub refused it
    reason_code     TEXT NOT NULL,
    message         TEXT NOT NULL,
    details         TEXT NOT NULL,           -- JSON: what the refusal names
    resolution      TEXT CHECK (resolution IN ('redone', 'dismissed')),
    resolution_reason TEXT,
    resolved_by     TEXT,
    resolved_at     TEXT,
    CHECK ((resolution IS NULL) = (resolved_at IS NULL))
);
CREATE INDEX sync_issues_open ON sync_issues(resolved_at, decided_at);
