-- Each device's audit chain, as the hub receives it: the rows themselves (so the lab's
-- auditor finds every workstation's trail on the hub), the head checked so far, and the
-- flag set when the chain breaks (the device's commands are then held for review).
ALTER TABLE hub_devices ADD COLUMN chain_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hub_devices ADD COLUMN chain_hash TEXT NOT NULL
    DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
ALTER TABLE hub_devices ADD COLUMN chain_broken TEXT;
-- Set by an administrator's release: the next row received starts the checked chain anew.
ALTER TABLE hub_devices ADD COLUMN chain_restart INTEGER NOT NULL DEFAULT 0 CHECK (chain_restart IN (0, 1));

CREATE TABLE hub_device_audit (
    device_id  TEXT NOT NULL REFERENCES hub_devices(device_id),
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    row        TEXT NOT NULL,                          -- JSON StoredAuditRow
    PRIMARY KEY (device_id, seq)
);
