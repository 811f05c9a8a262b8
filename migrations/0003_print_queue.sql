-- Printers known to this workstation and the durable print queue.
-- `printers` changes only through commands. `print_jobs` rows are created by the QueuePrint
-- command (audited, in the outbox); their progress (sent, done, failed, attempts, the
-- printer's last fault) is this workstation's device state, like sessions, written by the
-- print queue without an audit entry per attempt.

CREATE TABLE printers (
    name        TEXT PRIMARY KEY NOT NULL,
    address     TEXT NOT NULL,                          -- JSON of devices::PrinterAddress
    language    TEXT NOT NULL CHECK (language IN ('zpl','tspl','pdf')),
    dpi         INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE print_jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    printer         TEXT NOT NULL,
    template        TEXT NOT NULL,
    subject         TEXT NOT NULL,                      -- what the labels are of, for people: "kit of P10000X"
    records         TEXT NOT NULL,                      -- JSON: the sample or box ids printed
    copies          INTEGER NOT NULL CHECK (copies BETWEEN 1 AND 10),
    payload         BLOB NOT NULL,                      -- the exact bytes sent to the printer
    state           TEXT NOT NULL CHECK (state IN ('queued','sent','done','failed','cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    waiting_for     TEXT,                               -- a printer fault the job waits on
    reprint_of      TEXT REFERENCES print_jobs(id),
    reason          TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL
);
CREATE INDEX print_jobs_state ON print_jobs(state, next_attempt_at);
