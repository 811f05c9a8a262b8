-- How the hub leases number blocks to workstations (aliquot_domain::numbering::LeasePolicy):
-- the lab's sample code prefix and digits, and how many numbers one lease holds.
CREATE TABLE hub_lease_policy (
    singleton          INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    sample_prefix      TEXT NOT NULL,
    sample_digits      INTEGER NOT NULL CHECK (sample_digits BETWEEN 4 AND 9),
    sample_block       INTEGER NOT NULL CHECK (sample_block > 0),
    participant_block  INTEGER NOT NULL CHECK (participant_block > 0)
);
INSERT INTO hub_lease_policy (singleton, sample_prefix, sample_digits, sample_block, participant_block)
VALUES (1, 'S', 7, 1000, 100);
