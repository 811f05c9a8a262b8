-- What a lab manager corrects after setting up (issue 15, item 2): a site made by mistake
-- is voided, a kit template is revised as a new version or retired, and the lab keeps its
-- own list of sample types. Columns and tables are only added: nothing is rebuilt.

-- A voided site takes no new participants, blocks or events; its range is free again.
ALTER TABLE sites ADD COLUMN voided_at TEXT;
ALTER TABLE sites ADD COLUMN void_reason TEXT;

-- kit_templates.items is the current version's; every version's lines stay here, so a
-- kit registered against version 1 is still read as version 1 after version 2 is made.
ALTER TABLE kit_templates ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE kit_templates ADD COLUMN retired_at TEXT;
ALTER TABLE kit_templates ADD COLUMN retire_reason TEXT;
CREATE TABLE kit_template_versions (
    template_id  TEXT NOT NULL REFERENCES kit_templates(id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    items        TEXT NOT NULL,                          -- JSON [KitItem]
    created_at   TEXT NOT NULL,
    reason       TEXT,                                   -- NULL for a template's first version
    PRIMARY KEY (template_id, version)
);
INSERT INTO kit_template_versions (template_id, version, items, created_at, reason)
  SELECT id, 1, items, created_at, NULL FROM kit_templates;
-- The version a kit was registered against (NULL before versions existed: version 1).
ALTER TABLE kit_registrations ADD COLUMN template_version INTEGER;

-- The lab's sample types. samples.sample_type holds the code; the short code is printed on
-- labels, so it never changes once a type exists. A retired type takes no new tubes.
CREATE TABLE sample_types (
    code           TEXT PRIMARY KEY NOT NULL,
    short_code     TEXT NOT NULL UNIQUE,
    label          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    retired_at     TEXT,
    retire_reason  TEXT
);
INSERT INTO sample_types (code, short_code, label, created_at) VALUES
  ('plasma', 'PL', 'Plasma', '2026-01-01T00:00:00.000000Z'),
  ('serum', 'SE', 'Serum', '2026-01-01T00:00:00.000000Z'),
  ('whole_blood', 'WB', 'Whole blood', '2026-01-01T00:00:00.000000Z'),
  ('buffy_coat', 'BC', 'Buffy coat', '2026-01-01T00:00:00.000000Z'),
  ('dna', 'DN', 'DNA', '2026-01-01T00:00:00.000000Z'),
  ('rna', 'RN', 'RNA', '2026-01-01T00:00:00.000000Z'),
  ('pbmc', 'PB', 'PBMC', '2026-01-01T00:00:00.000000Z'),
  ('urine', 'UR', 'Urine', '2026-01-01T00:00:00.000000Z'),
  ('saliva', 'SA', 'Saliva', '2026-01-01T00:00:00.000000Z'),
  ('stool', 'ST', 'Stool', '2026-01-01T00:00:00.000000Z');
