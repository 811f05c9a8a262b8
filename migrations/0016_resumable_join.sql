-- A workstation joining its hub copies the lab in chunks, each committed with where the
-- copy stands, so a copy cut short (the app killed, the network gone) goes on from there.
-- This workstation's own state, never synced; gone once the join is done.
CREATE TABLE sync_join (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- The hub's feed position of the first attempt: the feed is pulled from here once the
    -- copy is whole.
    cursor          INTEGER NOT NULL,
    -- The feed position of the attempt that wrote the last rows, the last table and key
    -- it wrote (none: nothing yet), and whether the copy is whole (then the feed is being
    -- caught up to the hub's head).
    attempt_cursor  INTEGER NOT NULL,
    last_table      TEXT,
    last_key        TEXT,                              -- JSON array of the key's values
    complete        INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    -- Tables a later attempt copied, each whole, at a later feed position than `cursor`
    -- (JSON object: table → position): the catch-up skips their changes up to it.
    tables_at       TEXT NOT NULL DEFAULT '{}',
    copied          INTEGER NOT NULL DEFAULT 0,
    total           INTEGER,
    -- The lab tables' indexes dropped for the copy (JSON array of their names and SQL).
    indexes         TEXT NOT NULL,
    started_at      TEXT NOT NULL
);
