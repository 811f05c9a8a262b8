-- The lab's instruments (issue 16, item 1) and the control materials run on them, a row per
-- lot with its target mean and SD, the numbers QC judges control wells by. Changed only
-- through the command executor; nothing is deleted (an instrument is taken out of service,
-- a lot retired).

CREATE TABLE instruments (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('plate_reader','qpcr','bead_array','nucleic_acid_qc','cell_counter','other')),
    model          TEXT NOT NULL,
    serial_number  TEXT NOT NULL,
    location       TEXT NOT NULL,
    result_format  TEXT NOT NULL CHECK (result_format IN ('gen5','quantstudio','bmg_mars','softmax_pro','luminex','cfx','nanodrop','qubit','vi_cell','mapped_csv')),
    csv_mapping    TEXT,                                   -- JSON CsvMapping, for mapped_csv only
    status         TEXT NOT NULL CHECK (status IN ('in_service','out_of_service','calibration_due')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK ((result_format = 'mapped_csv') = (csv_mapping IS NOT NULL))
);
CREATE UNIQUE INDEX instruments_name ON instruments(name);

CREATE TABLE control_lots (
    id             TEXT PRIMARY KEY NOT NULL,
    instrument_id  TEXT NOT NULL REFERENCES instruments(id),
    material       TEXT NOT NULL,                          -- "Bio-Rad Lyphochek level 1"
    lot            TEXT NOT NULL,
    read           TEXT NOT NULL,                          -- the read or analyte it controls
    unit           TEXT,
    target_mean    REAL NOT NULL,
    target_sd      REAL NOT NULL CHECK (target_sd > 0),
    created_at     TEXT NOT NULL,
    retired_at     TEXT,
    retire_reason  TEXT
);
CREATE UNIQUE INDEX control_lots_one_target ON control_lots(instrument_id, material, lot, read);
