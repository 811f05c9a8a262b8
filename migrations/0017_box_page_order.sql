-- A page of boxes is read in the order it is shown: each sort the box lists offer has an
-- index over the boxes in use, ending in the id that breaks ties, so a page reads its own
-- rows instead of sorting every box that matches (issue 15: a has-space page at 100,000
-- boxes). The free-positions order is the expression the query sorts by.
CREATE INDEX boxes_by_name ON boxes(name, id) WHERE voided_at IS NULL;
CREATE INDEX boxes_by_barcode ON boxes(barcode, id) WHERE voided_at IS NULL;
CREATE INDEX boxes_by_created ON boxes(created_at, id) WHERE voided_at IS NULL;
CREATE INDEX boxes_by_free ON boxes((COALESCE(capacity, 1000000) - occupied), id) WHERE voided_at IS NULL;
-- boxes_active_name (0004) stays, though boxes_by_name serves its queries now: dropping it
-- would leave a free page in every new store for nothing.
