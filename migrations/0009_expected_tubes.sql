-- The receiving screen's manifest: tubes collected or in transit, by field event, oldest
-- collection first (issue 12).
CREATE INDEX samples_expected ON samples(status, event_id, collected_at);
