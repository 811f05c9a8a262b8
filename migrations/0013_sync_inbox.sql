-- Row images on their way into the lab tables (a pulled page, the before-images of a
-- take-back, a resynced table). A page is inserted here in its order by one statement;
-- each row is written into its lab table by that table's trigger (installed at every
-- open from the columns SQLite reports) and the inbox is emptied in the same transaction.
CREATE TABLE sync_inbox (
    n    INTEGER PRIMARY KEY NOT NULL,
    tbl  TEXT NOT NULL,
    key  BLOB NOT NULL,                                  -- JSONB of the key's columns
    row  BLOB                                            -- JSONB row image; NULL: the row goes
);
