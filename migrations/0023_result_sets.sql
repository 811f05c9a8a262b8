-- Result sets produced elsewhere and partner mappings (issue 16, item 7). A set keeps its
-- source file's name and SHA-256 and a summary; each value keeps the code the file gave,
-- linked to a tube where the code is one of the lab's (an unknown code stays, unlinked).
-- A partner's code maps to one of the lab's tests through partner_mappings.

CREATE TABLE result_sets (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('olink_npx','long_csv')),
    partner          TEXT,
    file_name        TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    value_count      INTEGER NOT NULL,
    samples_matched  INTEGER NOT NULL,
    unknown_codes    INTEGER NOT NULL,
    analytes         INTEGER NOT NULL,
    unmapped_codes   INTEGER NOT NULL,
    imported_at      TEXT NOT NULL,
    imported_by      TEXT NOT NULL
);
CREATE UNIQUE INDEX result_sets_once ON result_sets(sha256);
CREATE INDEX result_sets_by_time ON result_sets(imported_at);

CREATE TABLE result_set_values (
    set_id            TEXT NOT NULL REFERENCES result_sets(id),
    seq               INTEGER NOT NULL,
    sample_code       TEXT NOT NULL,
    sample_id         TEXT REFERENCES samples(id),
    analyte           TEXT NOT NULL,
    value_kind        TEXT CHECK (value_kind IN ('number','censored','flagged')),
    value             REAL,
    bound             TEXT CHECK (bound IN ('below','above')),
    flag              TEXT,
    text              TEXT,
    unit              TEXT,
    flag_text         TEXT,                      -- what the file says is wrong with the value
    control           INTEGER NOT NULL DEFAULT 0,
    test_code         TEXT,                      -- the lab's test, for a partner's mapped code
    converted_value   REAL,                      -- the number (or bound) in the lab's unit
    PRIMARY KEY (set_id, seq)
);
CREATE INDEX result_set_values_by_sample ON result_set_values(sample_id) WHERE sample_id IS NOT NULL;
CREATE INDEX result_set_values_by_analyte ON result_set_values(set_id, analyte);

CREATE TABLE partner_mappings (
    id             TEXT PRIMARY KEY NOT NULL,
    partner        TEXT NOT NULL,
    partner_code   TEXT NOT NULL,
    partner_unit   TEXT,
    test_code      TEXT NOT NULL,
    unit           TEXT,
    factor         REAL NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX partner_mappings_one ON partner_mappings(partner, partner_code);
