-- Registration, samples and storage. Changed only through the command executor.
-- No DELETE on any of these tables: objects are voided with a reason (finding I-01).

CREATE TABLE sites (
    id                       TEXT PRIMARY KEY NOT NULL,
    code                     TEXT NOT NULL UNIQUE,
    name                     TEXT NOT NULL,
    participant_range_start  INTEGER NOT NULL,
    participant_range_end    INTEGER NOT NULL CHECK (participant_range_end >= participant_range_start),
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);

-- Numbers this workstation (or another, as the hub assigns) may issue.
CREATE TABLE number_blocks (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('participant','sample','preprinted')),
    device_id   TEXT NOT NULL,
    site_id     TEXT REFERENCES sites(id),
    prefix      TEXT NOT NULL,
    digits      INTEGER NOT NULL,
    first_value INTEGER NOT NULL,
    last_value  INTEGER NOT NULL CHECK (last_value >= first_value),
    next_value  INTEGER NOT NULL CHECK (next_value BETWEEN first_value AND last_value + 1),
    created_at  TEXT NOT NULL,
    CHECK ((kind = 'participant') = (site_id IS NOT NULL))
);
CREATE INDEX number_blocks_issue ON number_blocks(device_id, kind, site_id);

CREATE TABLE participants (
    id            TEXT PRIMARY KEY NOT NULL,
    site_id       TEXT NOT NULL REFERENCES sites(id),
    number        INTEGER NOT NULL UNIQUE,
    code          TEXT NOT NULL UNIQUE,
    external_id   TEXT,
    consent       TEXT NOT NULL CHECK (consent IN ('given','withdrawn')),
    consent_date  TEXT NOT NULL,
    sex           TEXT CHECK (sex IN ('female','male','other','unknown')),
    birth_year    INTEGER,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX participants_site ON participants(site_id, number);
CREATE INDEX participants_external ON participants(external_id);

CREATE TABLE field_events (
    id              TEXT PRIMARY KEY NOT NULL,
    site_id         TEXT NOT NULL REFERENCES sites(id),
    name            TEXT NOT NULL,
    event_date      TEXT NOT NULL,
    coordinator_id  TEXT NOT NULL REFERENCES users(id),
    created_at      TEXT NOT NULL
);

CREATE TABLE event_check_ins (
    event_id        TEXT NOT NULL REFERENCES field_events(id),
    participant_id  TEXT NOT NULL REFERENCES participants(id),
    checked_in_at   TEXT NOT NULL,
    checked_in_by   TEXT NOT NULL,
    PRIMARY KEY (event_id, participant_id)
);

CREATE TABLE kit_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    items       TEXT NOT NULL,                          -- JSON [KitItem]
    created_at  TEXT NOT NULL
);

CREATE TABLE kit_registrations (
    id              TEXT PRIMARY KEY NOT NULL,
    participant_id  TEXT NOT NULL REFERENCES participants(id),
    template_id     TEXT NOT NULL REFERENCES kit_templates(id),
    event_id        TEXT REFERENCES field_events(id),
    collected_at    TEXT NOT NULL,
    collector       TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    registered_by   TEXT NOT NULL
);

CREATE TABLE samples (
    id                TEXT PRIMARY KEY NOT NULL,
    code              TEXT NOT NULL UNIQUE,
    participant_id    TEXT NOT NULL REFERENCES participants(id),
    sample_type       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('collected','in_transit','received','processing','stored','checked_out','depleted','disposed')),
    parent_id         TEXT REFERENCES samples(id),
    registration_id   TEXT REFERENCES kit_registrations(id),
    event_id          TEXT REFERENCES field_events(id),
    collected_at      TEXT NOT NULL,
    collector         TEXT NOT NULL,
    volume_ul         INTEGER CHECK (volume_ul >= 0),
    time_out_seconds  INTEGER NOT NULL DEFAULT 0,
    checked_out_at    TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX samples_participant ON samples(participant_id);
CREATE INDEX samples_parent ON samples(parent_id);
CREATE INDEX samples_event ON samples(event_id);

-- One row per status change, written inside the transition itself (finding I-13).
CREATE TABLE sample_status_history (
    seq          INTEGER PRIMARY KEY NOT NULL,
    sample_id    TEXT NOT NULL REFERENCES samples(id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    via          TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    at           TEXT NOT NULL,
    reason       TEXT,
    command_id   TEXT NOT NULL
);
CREATE INDEX sample_status_history_sample ON sample_status_history(sample_id, seq);
CREATE TRIGGER sample_status_history_no_update BEFORE UPDATE ON sample_status_history
BEGIN SELECT RAISE(ABORT, 'status history is append-only'); END;
CREATE TRIGGER sample_status_history_no_delete BEFORE DELETE ON sample_status_history
BEGIN SELECT RAISE(ABORT, 'status history is append-only'); END;

CREATE TABLE discard_requests (
    id             TEXT PRIMARY KEY NOT NULL,
    sample_id      TEXT NOT NULL REFERENCES samples(id),
    requested_by   TEXT NOT NULL REFERENCES users(id),
    requested_at   TEXT NOT NULL,
    reason         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
    decided_by     TEXT REFERENCES users(id),
    decided_at     TEXT,
    decision_note  TEXT
);
-- At most one open request per sample.
CREATE UNIQUE INDEX discard_requests_one_pending ON discard_requests(sample_id) WHERE state = 'pending';
CREATE INDEX discard_requests_state ON discard_requests(state, requested_at);

CREATE TABLE freezers (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    location       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    temperature_c  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    voided_at      TEXT,
    void_reason    TEXT
);
CREATE UNIQUE INDEX freezers_name ON freezers(name) WHERE voided_at IS NULL;

CREATE TABLE racks (
    id          TEXT PRIMARY KEY NOT NULL,
    freezer_id  TEXT NOT NULL REFERENCES freezers(id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT
);
CREATE UNIQUE INDEX racks_name ON racks(freezer_id, name) WHERE voided_at IS NULL;

CREATE TABLE boxes (
    id           TEXT PRIMARY KEY NOT NULL,
    rack_id      TEXT NOT NULL REFERENCES racks(id),
    name         TEXT NOT NULL,
    barcode      TEXT NOT NULL UNIQUE,
    box_type     TEXT NOT NULL,
    rows         INTEGER,                                -- NULL for a bag
    columns      INTEGER,
    capacity     INTEGER,                                -- rows × columns, or a bag's limit
    created_at   TEXT NOT NULL,
    voided_at    TEXT,
    void_reason  TEXT,
    CHECK ((rows IS NULL) = (columns IS NULL))
);
CREATE INDEX boxes_rack ON boxes(rack_id);

-- Where each sample is. The two UNIQUE constraints are the storage invariant:
-- one sample per position, one position per sample. Bags have no position (NULL).
CREATE TABLE placements (
    sample_id   TEXT PRIMARY KEY NOT NULL REFERENCES samples(id),
    box_id      TEXT NOT NULL REFERENCES boxes(id),
    position    TEXT,
    row_index   INTEGER,
    column_index INTEGER,
    placed_at   TEXT NOT NULL,
    UNIQUE (box_id, position)
);
CREATE INDEX placements_box ON placements(box_id);

-- Every placement change, for a sample's location history.
CREATE TABLE placement_history (
    seq            INTEGER PRIMARY KEY NOT NULL,
    sample_id      TEXT NOT NULL REFERENCES samples(id),
    from_box_id    TEXT,
    from_position  TEXT,
    to_box_id      TEXT,
    to_position    TEXT,
    source         TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    at             TEXT NOT NULL,
    command_id     TEXT NOT NULL
);
CREATE INDEX placement_history_sample ON placement_history(sample_id, seq);

CREATE TABLE box_moves (
    seq           INTEGER PRIMARY KEY NOT NULL,
    box_id        TEXT NOT NULL REFERENCES boxes(id),
    from_rack_id  TEXT NOT NULL,
    to_rack_id    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    at            TEXT NOT NULL,
    reason        TEXT NOT NULL,
    command_id    TEXT NOT NULL
);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL,
    message      TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    read_at      TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

CREATE TRIGGER placement_history_no_delete BEFORE DELETE ON placement_history
BEGIN SELECT RAISE(ABORT, 'placement history is append-only'); END;
CREATE TRIGGER samples_no_delete BEFORE DELETE ON samples
BEGIN SELECT RAISE(ABORT, 'samples are never deleted; dispose them through a discard request'); END;
