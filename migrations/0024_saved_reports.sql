-- Saved and scheduled reports (issue 17, item 3).
--
-- A saved report (a query of the query builder or one of the reports, with its parameters,
-- under a name) is the lab's: a lab table, synced, changed only by the SaveReport,
-- ChangeSavedReport and VoidSavedReport commands, voided and never deleted.
--
-- A schedule writes a saved report to a folder on this PC, so it and its runs are this
-- workstation's own (like watch folders): never synced, changed only by the audited
-- ScheduleReport, VoidSchedule and RecordReportRun commands.

CREATE TABLE saved_reports (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    what        TEXT NOT NULL,              -- JSON of aliquot_domain::saved_reports::SavedWhat
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT
);
-- One active saved report of a name per owner (any case); a voided one's name is free again.
CREATE UNIQUE INDEX saved_reports_active_name ON saved_reports(owner_id, name COLLATE NOCASE)
    WHERE voided_at IS NULL;
-- Voided, never deleted; a pull may still take back a row the hub refused.
CREATE TRIGGER saved_reports_no_delete BEFORE DELETE ON saved_reports
WHEN NOT EXISTS (SELECT 1 FROM sync_rebasing)
BEGIN SELECT RAISE(ABORT, 'saved reports are voided, never deleted'); END;

-- saved_id and owner_id name lab rows but declare no foreign key: a pull takes back a
-- SaveReport (or CreateUser) the hub refused, and a key pointing at the row taken back
-- would fail the whole pull at its commit. The runner records a run of a saved report that
-- is not there as failed, saying so.
CREATE TABLE report_schedules (
    id          TEXT PRIMARY KEY NOT NULL,
    saved_id    TEXT NOT NULL,              -- saved_reports(id)
    owner_id    TEXT NOT NULL,              -- users(id): whose permissions a run uses
    cadence     TEXT NOT NULL,              -- JSON of aliquot_domain::schedule::Cadence
    local_time  TEXT NOT NULL,              -- HH:MM
    time_zone   TEXT NOT NULL,              -- IANA name
    folder      TEXT NOT NULL,              -- a full path on this PC
    format      TEXT NOT NULL CHECK (format IN ('csv', 'pdf')),
    bom         INTEGER NOT NULL CHECK (bom IN (0, 1)),
    created_at  TEXT NOT NULL,
    -- The due time of the last run, or created_at before the first: the next run is the
    -- first due time after it.
    last_due    TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT
);
CREATE INDEX report_schedules_by_owner ON report_schedules(owner_id, created_at);
CREATE TRIGGER report_schedules_no_delete BEFORE DELETE ON report_schedules
BEGIN SELECT RAISE(ABORT, 'schedules are voided, never deleted'); END;

CREATE TABLE report_runs (
    id          TEXT PRIMARY KEY NOT NULL,
    schedule_id TEXT NOT NULL REFERENCES report_schedules(id),
    due_at      TEXT NOT NULL,
    ran_at      TEXT NOT NULL,
    missed      INTEGER NOT NULL CHECK (missed >= 0),   -- due times it stands for (1 on time)
    late        INTEGER NOT NULL CHECK (late IN (0, 1)),
    file        TEXT,                                   -- the file's full path, once written
    rows        INTEGER,                                -- a CSV's rows
    outcome     TEXT NOT NULL CHECK (outcome IN ('written', 'failed')),
    message     TEXT,                                   -- why it failed
    CHECK (outcome = 'failed' OR file IS NOT NULL)
);
-- A due time runs once.
CREATE UNIQUE INDEX report_runs_once ON report_runs(schedule_id, due_at);
CREATE TRIGGER report_runs_no_update BEFORE UPDATE ON report_runs
BEGIN SELECT RAISE(ABORT, 'report runs are kept as they were recorded'); END;
CREATE TRIGGER report_runs_no_delete BEFORE DELETE ON report_runs
BEGIN SELECT RAISE(ABORT, 'report runs are kept as they were recorded'); END;
