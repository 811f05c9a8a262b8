-- The label stock loaded in each printer (it decides which template a label uses) and its
-- print darkness (NULL keeps the printer's own setting).
ALTER TABLE printers ADD COLUMN stock TEXT NOT NULL DEFAULT 'cryovial'
    CHECK (stock IN ('cryovial','tube_2x1','box_3x1'));
ALTER TABLE printers ADD COLUMN darkness INTEGER CHECK (darkness BETWEEN 0 AND 30);
