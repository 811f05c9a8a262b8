-- Indexes for the lab's reports (issue 17). Append-only: never edit a released migration.

-- The compliance report counts the audit trail over a period. `at` is fixed-width RFC 3339
-- text (format_utc), so a period is a range of this index, and the index also holds what
-- the report groups by (the kind of entry, the name it was recorded under): the counts per
-- kind, per day and per name read the index, not the rows (at 1,000,000 rows the rows are
-- ten times its size).
CREATE INDEX audit_log_by_at ON audit_log(at, action, actor_name);

-- One kind of entry under one name, in the trail's order (the rowid, `seq`, follows the two
-- columns): the report's lists of one kind, and for each failed sign-in the name's last
-- successful sign-in before it, one seek each (lockouts: see reports/compliance.rs).
CREATE INDEX audit_log_by_action ON audit_log(action, actor_name);

-- The tubes disposed (or put in any status) over a period: the discards report.
CREATE INDEX sample_status_history_by_status ON sample_status_history(to_status, at);
