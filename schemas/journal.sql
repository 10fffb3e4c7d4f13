-- The fkpurge journal, format 3: one SQLite file per purge, created mode 0600.
-- meta 'engine' says which engine runs the purge: 'stream' (pages of root
-- keys; its tables are at the end) or 'levels' (every doomed key collected
-- into doomed, then deleted by level). Formats 1 and 2 are the levels
-- engine's of earlier versions.
-- fkpurge runs this text when it creates a journal (it is compiled into the
-- binary); the file is the reference for anyone reading a journal by hand.

PRAGMA application_id = 1718317162; -- 'fkpj'
PRAGMA user_version = 3;            -- the journal format version

-- Header: format version, model text and hash, root selection, connection
-- string without its password, database identity, batch size, times, phase.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;

-- The keys of a --pk-file, as read (checked against the key's type), in file
-- order: planning again on resume reads them here, not from the file, which
-- may be gone or changed. Complete once meta 'root_keys' holds their count.
CREATE TABLE root_key (
    seq   INTEGER PRIMARY KEY,
    key   NOT NULL
);

-- The model's tables, by their index in the model (for status and reports).
CREATE TABLE tbl (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL
);

-- The model's edges, by their index in the model. cyclic: the edge joins
-- two tables of one cycle (or a table to itself), so the rows it links are
-- ordered by level. breakable: its column may be set to NULL (or its
-- default) before the parent goes, which breaks a cycle of rows there
-- (set_null, set_default, and cascade on a nullable column).
CREATE TABLE edge (
    id        INTEGER PRIMARY KEY,
    child     INTEGER NOT NULL,
    parent    INTEGER NOT NULL,
    "column"  TEXT NOT NULL,
    policy    TEXT NOT NULL,
    cyclic    INTEGER NOT NULL,
    breakable INTEGER NOT NULL
);

-- Every row the purge deletes. key is the primary key value (integer or
-- text, as the database gave it); for a table without a primary key it is
-- the row's physical address (ctid, rowid), valid only inside the plan's
-- snapshot. seq is the order of discovery: the collection walks each
-- table's keys in seq order, so rows found late are walked late. via is the
-- edge whose walk found the row (NULL for a root): a row found by following
-- a table's reference to itself all the way down needs no second walk of it.
--
-- level orders the rows of a cycle of tables (or of a table referencing
-- itself): a row goes after every doomed row that references it through the
-- cycle, so level is the length of the longest chain of such references
-- below it (0 elsewhere). (Which rows are done is in todo, at the end.)
CREATE TABLE doomed (
    tbl     INTEGER NOT NULL,
    key     NOT NULL,
    seq     INTEGER NOT NULL,
    via     INTEGER,
    level   INTEGER NOT NULL DEFAULT 0,
    pending INTEGER,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX doomed_by_seq ON doomed (tbl, seq);
-- pending counts the doomed rows still to be levelled that reference a row
-- of a cyclic table (NULL in other tables); 0 once the row has its level.
CREATE INDEX doomed_levelling ON doomed (pending, level) WHERE pending IS NOT NULL;

-- Rows that reference a doomed row through a set_null, set_default,
-- protect, restrict or do_nothing edge (by the edge's index in the model).
CREATE TABLE ref (
    edge  INTEGER NOT NULL,
    key   NOT NULL,
    PRIMARY KEY (edge, key)
) WITHOUT ROWID;

-- Inside a cycle of tables: which doomed row references which, and through
-- which edge (ckey is a row of the edge's child table, pkey of its parent).
-- broken marks a reference through a breakable edge that a cycle of rows
-- forces to be nulled before its parent goes, instead of deleting the child
-- first.
CREATE TABLE link (
    edge    INTEGER NOT NULL,
    ckey    NOT NULL,
    pkey    NOT NULL,
    broken  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (edge, ckey)
) WITHOUT ROWID;
CREATE INDEX link_by_parent ON link (edge, pkey);
-- run asks, batch after batch, whether an edge has broken links: an index, not a scan.
CREATE INDEX link_broken ON link (edge) WHERE broken = 1;

-- Levels whose rows reference each other in cycles no order can undo (keys
-- that cannot be nulled all round): where the database enforces such a
-- key, run deletes the level's rows of a cycle of tables in one
-- transaction, together.
CREATE TABLE joint_level (
    level INTEGER PRIMARY KEY
);

-- Execution, one transaction at a time. A batch is the doomed rows of one
-- table not yet done whose (level, seq) lies between (level, seq_lo) and
-- (level_hi, seq_hi): one level, or, in a table that is a cycle on its own
-- (a chain of rows referencing rows of the same table), several consecutive
-- levels, which one statement deletes together. Its intent is
-- committed here before the database commits it, its end after: on resume a
-- batch still in 'intent' is replayed, which is harmless since every
-- statement of a batch is by key.
CREATE TABLE batch (
    id       INTEGER PRIMARY KEY,
    tbl      INTEGER NOT NULL,
    level    INTEGER NOT NULL,
    level_hi INTEGER NOT NULL,
    seq_lo   INTEGER NOT NULL,
    seq_hi   INTEGER NOT NULL,
    keys     INTEGER NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('intent', 'done', 'cancelled')),
    started  REAL NOT NULL,   -- unix time
    finished REAL,
    deleted  INTEGER          -- rows the batch's own transaction deleted from tbl
);

-- Rows actually changed: kind 'deleted' by table id, 'updated' by edge id.
CREATE TABLE tally (
    kind  TEXT NOT NULL,
    id    INTEGER NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Every error that stopped a run, newest last.
CREATE TABLE error (
    id       INTEGER PRIMARY KEY,
    at       REAL NOT NULL,   -- unix time
    phase    TEXT NOT NULL,
    sqlstate TEXT,
    message  TEXT NOT NULL
);

-- Requests of `fkpurge ctl` (another process) to the running purge: pause,
-- continue, stop, set NAME=VALUE ...; the purge answers them between
-- batches. A journal made before this table gets it when a purge opens it
-- (src/journal_control.c holds the same statement).
CREATE TABLE IF NOT EXISTS control (id INTEGER PRIMARY KEY, at REAL NOT NULL,
    request TEXT NOT NULL, answer TEXT, answered_at REAL);

-- @execute
-- The doomed rows not yet deleted, in the order batches take them: a
-- batch is a range of it, and goes from it when it commits. Created and
-- filled when execution starts (journal_prepare_execute), not with the
-- journal: filled once from the finished collection, it costs a fraction
-- of a table kept up to date row by row. Then the triggers keep it in step
-- with doomed: rows collected while the purge runs, and levels computed
-- again. (Format 1 kept a flag, doomed.done, and an index of the rows
-- with done = 0: marking a batch done rewrote each of its rows there, a
-- third of run's time on the client.)
CREATE TABLE IF NOT EXISTS todo (
    tbl   INTEGER NOT NULL,
    level INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    key   NOT NULL,
    PRIMARY KEY (tbl, level, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS todo_add AFTER INSERT ON doomed BEGIN
    INSERT INTO todo (tbl, level, seq, key) VALUES (new.tbl, new.level, new.seq, new.key);
END;
CREATE TRIGGER IF NOT EXISTS todo_level AFTER UPDATE OF level ON doomed
WHEN new.level <> old.level BEGIN
    UPDATE todo SET level = new.level WHERE tbl = old.tbl AND level = old.level AND seq = old.seq;
END;
CREATE TRIGGER IF NOT EXISTS todo_forget AFTER DELETE ON doomed BEGIN
    DELETE FROM todo WHERE tbl = old.tbl AND level = old.level AND seq = old.seq;
END;

-- A statement changing rows the report counts (set_null/set_default
-- updates, deletes of rows of keyless tables), from just before the
-- database commits it until its rows are in the tally: kind and id as in
-- tally ('updated' counts by edge, 'deleted' by tbl, the edge's child
-- table), the parent keys it matched and the identities of the rows it
-- changed (keys, or ctid/rowid in a table without one), as JSON arrays.
-- A step left here by a killed run is settled on resume by looking at
-- those rows: the report stays exact whichever side of the commit the
-- kill fell. (Here rather than above, as joint_level again: journals
-- from before them gain them.)
CREATE TABLE IF NOT EXISTS pending (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('updated', 'deleted')),
    edge    INTEGER NOT NULL,
    tbl     INTEGER NOT NULL,
    parents TEXT NOT NULL,
    ids     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS joint_level (level INTEGER PRIMARY KEY);

-- The streaming engine (meta 'engine' = 'stream', format 3) keeps no doomed
-- keys: it works through the root selection a page at a time (meta
-- 'cursor': the last root key of the pages done, in key order; for a
-- --pk-file, meta 'cursor_seq': the last root_key.seq done), and asks the
-- database again for everything below. What it must remember is what the
-- database cannot say again: how many rows each transaction changed. A
-- transaction's counts are committed here before the database commits it
-- (stream_txn, stream_count, stream_noted), and folded into tally after;
-- a kill between the two is settled on resume by a witness (wkind), a row
-- the transaction deleted (from wtbl by its key, or through edge wedge
-- from parent key wparent) or updated (through edge wedge): gone, or
-- changed, it committed. has_cursor is 0, or 1 + the lane (see below) of
-- which cursor is the root key the transaction ends a page with.
--
-- Lanes (--jobs): the root selection cut at quantiles of its keys into
-- meta 'lanes' ranges, worked through at once by different workers. Lane
-- K ends at meta 'lane.K' (the last lane has no end) and starts after the
-- end of lane K-1; its cursor is meta 'cursor.K', lane 0's is 'cursor'.
-- A journal without 'lanes' has one lane.
CREATE TABLE IF NOT EXISTS stream_txn (
    batch      INTEGER PRIMARY KEY,
    xid        INTEGER NOT NULL,
    wtbl       INTEGER,
    wedge      INTEGER,
    wkind      TEXT CHECK (wkind IN ('updated', 'deleted')),
    wkey,
    wparent,
    has_cursor INTEGER NOT NULL,
    cursor
);
CREATE TABLE IF NOT EXISTS stream_count (
    batch INTEGER NOT NULL,
    kind  TEXT NOT NULL CHECK (kind IN ('updated', 'deleted')),
    id    INTEGER NOT NULL,
    n     INTEGER NOT NULL
);
-- Rows a transaction set to NULL or a default through edge whose table
-- the purge deletes from: a later page may delete them, and the report,
-- like the database's own cascade, counts such a row as deleted, not
-- updated. Where the root selection is a condition and the way up to it
-- one query (stream.c ways_up), the database says at the update how many
-- go later, and nothing is kept here; else (a --pk-file, a tree of rows
-- or a composite key on the way) noted holds them for the end of the
-- run, which looks.
CREATE TABLE IF NOT EXISTS stream_noted (
    batch INTEGER NOT NULL,
    edge  INTEGER NOT NULL,
    key   NOT NULL
);
CREATE TABLE IF NOT EXISTS noted (
    edge  INTEGER NOT NULL,
    key   NOT NULL,
    PRIMARY KEY (edge, key)
) WITHOUT ROWID;
-- Each worker's latest transaction (--jobs: worker 1 to N), written with
-- its intent, for status: the batch row says its table and state.
CREATE TABLE IF NOT EXISTS stream_worker (
    id    INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL
);
-- run --archive: where each archive file a transaction appended to ends
-- after it (tbl, worker: the file's table and worker), written with its
-- intent; folded on commit into meta 'archive.TBL.WORKER', the length a
-- resume cuts the file back to (doc/archive-format.md).
CREATE TABLE IF NOT EXISTS stream_archive (
    batch  INTEGER NOT NULL,
    tbl    INTEGER NOT NULL,
    worker INTEGER NOT NULL,
    "end"  INTEGER NOT NULL
);
