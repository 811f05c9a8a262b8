-- The workstation's side of sync with the hub (issue 13).

-- Each outbox row's fate: decided by the hub (applied, duplicate, rejected), held for an
-- administrator there, or still pending. `settled` is set once a pull carried its
-- decision (its effects, or their absence, are then in the pulled state and it is no
-- longer rebased); `conflict` holds why a rebase could not re-apply it here (a likely
-- conflict, until the hub rules).
ALTER TABLE outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'applied', 'duplicate', 'rejected', 'held'));
ALTER TABLE outbox ADD COLUMN result TEXT;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN decided_at TEXT;
ALTER TABLE outbox ADD COLUMN settled INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1));
ALTER TABLE outbox ADD COLUMN conflict TEXT;
CREATE INDEX outbox_status ON outbox(status, seq);
CREATE INDEX outbox_unsettled ON outbox(settled, seq);

-- The hub this workstation is enrolled with, its credential (this workstation's alone,
-- never shown again) and the pinned certificate, the feed cursor and the last outcomes.
CREATE TABLE sync_state (
    singleton     INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    hub_url       TEXT NOT NULL,
    hub_id        TEXT NOT NULL,
    device_name   TEXT NOT NULL,
    credential    TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    cursor        INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0),
    connected_at  TEXT NOT NULL,
    last_push_at  TEXT,
    last_pull_at  TEXT,
    last_error    TEXT,
    last_check_at TEXT,
    diverged      TEXT                                -- JSON [table] at the last check
);

-- Before-images of lab rows written by commands the hub has not settled yet, so a pull
-- can take them back, apply the hub's rows and run the commands again (rebase).
CREATE TABLE undo_log (
    seq         INTEGER PRIMARY KEY NOT NULL,
    command_id  TEXT NOT NULL,
    tbl         TEXT NOT NULL,
    key         TEXT NOT NULL,
    before      TEXT                                  -- NULL: the row did not exist
);
CREATE INDEX undo_log_command ON undo_log(command_id);

-- While a row is here, the undo triggers record before-images for this command.
CREATE TABLE sync_recording (
    singleton   INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    command_id  TEXT NOT NULL
);

-- While a row is here (only inside a pull's transaction), the hub's row images are being
-- applied and pending commands taken back: append-only history may be rewound to the
-- hub's, and box counts come from the hub's rows rather than being counted again.
CREATE TABLE sync_rebasing (
    singleton   INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1)
);

DROP TRIGGER sample_status_history_no_update;
CREATE TRIGGER sample_status_history_no_update BEFORE UPDATE ON sample_status_history
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN SELECT RAISE(ABORT, 'status history is append-only'); END;
DROP TRIGGER sample_status_history_no_delete;
CREATE TRIGGER sample_status_history_no_delete BEFORE DELETE ON sample_status_history
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN SELECT RAISE(ABORT, 'status history is append-only'); END;
DROP TRIGGER placement_history_no_delete;
CREATE TRIGGER placement_history_no_delete BEFORE DELETE ON placement_history
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN SELECT RAISE(ABORT, 'placement history is append-only'); END;
DROP TRIGGER samples_no_delete;
CREATE TRIGGER samples_no_delete BEFORE DELETE ON samples
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN SELECT RAISE(ABORT, 'samples are never deleted; dispose them through a discard request'); END;

DROP TRIGGER placements_count_in;
CREATE TRIGGER placements_count_in AFTER INSERT ON placements
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN UPDATE boxes SET occupied = occupied + 1 WHERE id = NEW.box_id; END;
DROP TRIGGER placements_count_out;
CREATE TRIGGER placements_count_out AFTER DELETE ON placements
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN UPDATE boxes SET occupied = occupied - 1 WHERE id = OLD.box_id; END;
DROP TRIGGER placements_count_move;
CREATE TRIGGER placements_count_move AFTER UPDATE OF box_id ON placements
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN
    UPDATE boxes SET occupied = occupied - 1 WHERE id = OLD.box_id;
    UPDATE boxes SET occupied = occupied + 1 WHERE id = NEW.box_id;
END;
