-- The workstation's own settings (its printers' routing, label copies, its scanner, its hub)
-- move out of `settings`, which from now on holds only the lab's settings: those are synced
-- through the hub and the same on every workstation; these never leave this workstation.
CREATE TABLE workstation_settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,                         -- JSON
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

INSERT INTO workstation_settings (key, value, updated_at, updated_by)
SELECT key, value, updated_at, updated_by FROM settings
WHERE key IN ('sample_label_printer', 'box_label_printer', 'label_copies', 'hub_url', 'scanner');

DELETE FROM settings
WHERE key IN ('sample_label_printer', 'box_label_printer', 'label_copies', 'hub_url', 'scanner');
