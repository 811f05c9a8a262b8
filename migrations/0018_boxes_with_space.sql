-- The boxes a tube can still go into, by name: the page the placement screens ask for most.
-- In name order the full boxes come first in a store filled box by box, so a scan of
-- boxes_by_name read every full box before the first with space (13 ms at 100,000 boxes,
-- a third of them full). This index holds only the boxes with space; a box leaves it when
-- its last position is taken (occupied is kept by triggers, migration 0004) and comes back
-- when a tube leaves. The query repeats the WHERE below as a term of its own, which is how
-- SQLite knows the index applies.
CREATE INDEX boxes_with_space_by_name ON boxes(name, id)
  WHERE voided_at IS NULL AND (capacity IS NULL OR occupied < capacity);
