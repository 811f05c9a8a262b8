-- The last of this workstation's audit rows the hub has checked and kept (issue 13): the
-- next push sends the rows after it.
ALTER TABLE sync_state ADD COLUMN audit_pushed_seq INTEGER NOT NULL DEFAULT 0;
