-- A kit's tubes are read by their registration: a kit's label group, and the desk's list of
-- kits whose labels are owed (found by the crash soak at 25,000 samples: a full scan).
CREATE INDEX samples_registration ON samples(registration_id);
