-- Watch folders (issue 16, item 5): the folder on this bench PC where an instrument writes its
-- result files, and every file Aliquot took from it with what became of it. Both are this
-- workstation's own (a path means nothing on another PC): never synced. A folder is set or
-- changed only by the audited SetWatchFolder command; a file is never moved or deleted.

CREATE TABLE watch_folders (
    instrument_id   TEXT PRIMARY KEY NOT NULL REFERENCES instruments(id),
    folder          TEXT NOT NULL,
    auto_import     INTEGER NOT NULL CHECK (auto_import IN (0, 1)),
    -- Whose command an automatic import runs as: the user who set the folder up.
    configured_by   TEXT NOT NULL REFERENCES users(id),
    updated_at      TEXT NOT NULL
);

CREATE TABLE watched_files (
    id              INTEGER PRIMARY KEY NOT NULL,
    instrument_id   TEXT NOT NULL REFERENCES instruments(id),
    path            TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    sha256          TEXT,                            -- none for a file that could not be read
    size            INTEGER,
    modified_at     TEXT,
    seen_at         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('waiting','imported','already_imported','failed')),
    reason          TEXT,                            -- why it waits or failed, in words
    run_id          TEXT,
    import_id       TEXT
);
CREATE UNIQUE INDEX watched_files_once ON watched_files(instrument_id, path, sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX watched_files_by_instrument ON watched_files(instrument_id, seen_at);
