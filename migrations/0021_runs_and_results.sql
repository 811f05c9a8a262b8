-- Runs, plates and results (issue 16, items 2, 4 and 6): a run on an instrument has plates;
-- a plate's wells hold a tube, a control of a lot, a standard or a blank; an import records
-- one instrument file's values for the run; the run carries QC's verdict on its controls.
-- Changed only through the command executor. Nothing of an import is deleted: a corrected
-- file supersedes the earlier import, whose values stay.

CREATE TABLE plate_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('96','384','1536')),
    layout      TEXT NOT NULL,                       -- JSON [LayoutWell]
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX plate_templates_name ON plate_templates(name);

CREATE TABLE runs (
    id                 TEXT PRIMARY KEY NOT NULL,
    instrument_id      TEXT NOT NULL REFERENCES instruments(id),
    name               TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('planned','resulted','held','released','repeat')),
    qc_verdict         TEXT CHECK (qc_verdict IN ('accepted','warning','rejected')),
    qc_rules           TEXT,                         -- JSON ["1-3s", …] the current import broke
    qc_note            TEXT,                         -- a control QC could not judge, and why
    current_import_id  TEXT,
    decision_reason    TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX runs_name ON runs(name);
CREATE INDEX runs_by_instrument ON runs(instrument_id, created_at);
CREATE INDEX runs_by_state ON runs(state, created_at);

CREATE TABLE plates (
    id           TEXT PRIMARY KEY NOT NULL,
    run_id       TEXT NOT NULL REFERENCES runs(id),
    ordinal      INTEGER NOT NULL,                   -- 1, 2, … within the run
    name         TEXT NOT NULL,                      -- what its label says
    format       TEXT NOT NULL CHECK (format IN ('96','384','1536')),
    template_id  TEXT REFERENCES plate_templates(id),
    created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX plates_name ON plates(name);
CREATE UNIQUE INDEX plates_of_run ON plates(run_id, ordinal);

CREATE TABLE plate_wells (
    plate_id        TEXT NOT NULL REFERENCES plates(id),
    well            TEXT NOT NULL,                   -- "A1" … "AF48"
    row_index       INTEGER NOT NULL,
    column_index    INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('sample','control','standard','blank')),
    sample_id       TEXT REFERENCES samples(id),
    control_lot_id  TEXT REFERENCES control_lots(id),
    standard_name   TEXT,
    concentration   REAL,
    filled_seq      INTEGER NOT NULL,                -- the order wells were filled in, per plate
    filled_at       TEXT NOT NULL,
    PRIMARY KEY (plate_id, well),
    CHECK ((role = 'sample') = (sample_id IS NOT NULL)),
    CHECK ((role = 'control') = (control_lot_id IS NOT NULL)),
    CHECK ((role = 'standard') = (standard_name IS NOT NULL))
);
CREATE UNIQUE INDEX plate_wells_one_tube ON plate_wells(plate_id, sample_id) WHERE sample_id IS NOT NULL;
CREATE INDEX plate_wells_by_sample ON plate_wells(sample_id) WHERE sample_id IS NOT NULL;

CREATE TABLE result_imports (
    id             TEXT PRIMARY KEY NOT NULL,
    run_id         TEXT NOT NULL REFERENCES runs(id),
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    format         TEXT NOT NULL,
    result_count   INTEGER NOT NULL,
    qc_verdict     TEXT CHECK (qc_verdict IN ('accepted','warning','rejected')),
    qc_rules       TEXT,
    qc_note        TEXT,
    supersedes     TEXT REFERENCES result_imports(id),
    superseded_by  TEXT,                             -- no REFERENCES: a newer row, applied after this one
    reason         TEXT,
    imported_at    TEXT NOT NULL,
    imported_by    TEXT NOT NULL
);
CREATE UNIQUE INDEX result_imports_once ON result_imports(run_id, sha256);
CREATE INDEX result_imports_of_run ON result_imports(run_id, imported_at);

CREATE TABLE results (
    import_id       TEXT NOT NULL REFERENCES result_imports(id),
    seq             INTEGER NOT NULL,                -- the value's place in its import
    run_id          TEXT NOT NULL REFERENCES runs(id),
    plate_id        TEXT NOT NULL REFERENCES plates(id),
    well            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('sample','control','standard','blank')),
    sample_id       TEXT REFERENCES samples(id),
    control_lot_id  TEXT REFERENCES control_lots(id),
    read            TEXT NOT NULL,
    value_kind      TEXT NOT NULL CHECK (value_kind IN ('number','censored','flagged')),
    value           REAL,                            -- the number, or a censored value's limit
    bound           TEXT CHECK (bound IN ('below','above')),
    flag            TEXT,
    text            TEXT,                            -- as the file wrote a censored or flagged value
    unit            TEXT,
    z_score         REAL,                            -- a control's distance from its target, in SDs
    PRIMARY KEY (import_id, seq)
);
CREATE INDEX results_by_sample ON results(sample_id) WHERE sample_id IS NOT NULL;
CREATE INDEX results_by_control_lot ON results(control_lot_id) WHERE control_lot_id IS NOT NULL;
CREATE INDEX results_by_plate ON results(plate_id, well);
