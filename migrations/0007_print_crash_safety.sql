-- A job caught "sent" by a crash may have printed whole: it is held "in doubt" for a person
-- to check the labels (confirm them, or print again with a reason), never resent blindly.
ALTER TABLE print_jobs ADD COLUMN in_doubt_since TEXT;

-- Labels asked for with a kit's registration and not yet queued. Written in the kit's own
-- transaction and removed in the print job's, so a crash between the two leaves the kit
-- listed at the desk as unprinted. This workstation's state: never synced.
CREATE TABLE kit_labels_owed (
    registration_id TEXT PRIMARY KEY NOT NULL REFERENCES kit_registrations(id),
    owed_since      TEXT NOT NULL,
    owed_by         TEXT NOT NULL,
    last_error      TEXT
);
