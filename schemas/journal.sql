-- The fkpurge journal, format 1: one SQLite file per purge, created mode 0600.
-- fkpurge runs this text when it creates a journal (it is compiled into the
-- binary); the file is the reference for anyone reading a journal by hand.

PRAGMA application_id = 1718317162; -- 'fkpj'
PRAGMA user_version = 1;            -- the journal format version

-- Header: format version, model text and hash, root selection, connection
-- string without its password, database identity, batch size, times, phase.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;

-- The model's tables, by their index in the model (for status and reports).
CREATE TABLE tbl (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL
);

-- Every row the purge deletes. key is the primary key value (integer or
-- text, as the database gave it); for a table without a primary key it is
-- the row's physical address (ctid, rowid), valid only inside the plan's
-- snapshot. seq is the order of discovery: the collection walks each
-- table's keys in seq order, so rows found late are walked late. via is the
-- edge whose walk found the row (NULL for a root): a row found by following
-- a table's reference to itself all the way down needs no second walk of it.
CREATE TABLE doomed (
    tbl   INTEGER NOT NULL,
    key   NOT NULL,
    seq   INTEGER NOT NULL,
    via   INTEGER,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX doomed_by_seq ON doomed (tbl, seq);

-- Rows that reference a doomed row through a set_null, set_default,
-- protect, restrict or do_nothing edge (by the edge's index in the model).
CREATE TABLE ref (
    edge  INTEGER NOT NULL,
    key   NOT NULL,
    PRIMARY KEY (edge, key)
) WITHOUT ROWID;
