"""
Statements with the label the guard must give them, per dialect.

``read=True`` means the guard lets the statement run while writes are blocked.
Every entry is also run in the database's own read-only mode
(``test_classify.test_labels_agree_with_the_database``): an entry without
``policy`` must be accepted exactly when it is labelled a read. An entry with
``policy`` is labelled against what the database does, for the reason given;
the test checks that the database really does disagree with those labels.
Entries with ``run=False`` are not run at all (they would write a file or
change the server), so their ``policy`` says why.

Tables available: ``rs_probe (id, name)`` holding the row ``(7, 'seven')``,
``rs_other (id)``, and a sequence ``rs_seq`` (PostgreSQL and MariaDB).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SQLITE, POSTGRESQL, MYSQL = "sqlite", "postgresql", "mysql"
ALL = (SQLITE, POSTGRESQL, MYSQL)
SERVERS = (POSTGRESQL, MYSQL)


@dataclass(frozen=True)
class Entry:
    sql: str
    read: bool
    vendors: tuple[str, ...] = ALL
    setup: tuple[str, ...] = ()
    params: tuple[object, ...] | None = None
    policy: str = ""
    run: bool = True


def reads(*sqls: str, vendors: tuple[str, ...] = ALL) -> list[Entry]:
    return [Entry(sql, True, vendors) for sql in sqls]


def writes(*sqls: str, vendors: tuple[str, ...] = ALL) -> list[Entry]:
    return [Entry(sql, False, vendors) for sql in sqls]


def policy(
    sql: str, read: bool, vendors: tuple[str, ...], reason: str, run: bool = True
) -> Entry:
    return Entry(sql, read, vendors, policy=reason, run=run)


# Any white space, any letter case, comments before, after and inside.
DECORATIONS = [
    "{}",
    "   {}",
    "\t{}",
    "\n\n{}",
    "\r\n{}\r\n",
    "\f {}",
    "-- a note\n{}",
    "/* a note */ {}",
    "/* several\nlines */\n{}",
    "{} -- a trailing note",
    "{} /* a trailing note */",
    "{};",
    "{} ;  ",
]
PLAIN_READS = [
    "SELECT name FROM rs_probe",
    "SELECT COUNT(*) FROM rs_probe WHERE id > 1",
    "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
    "VALUES (1), (2)",
]
PLAIN_WRITES = [
    "INSERT INTO rs_probe (id, name) VALUES (8, 'eight')",
    "UPDATE rs_probe SET name = 'changed'",
    "DELETE FROM rs_probe",
    "CREATE TABLE rs_new (x integer)",
]


KEYWORD = re.compile(
    r"\b(SELECT|FROM|WHERE|COUNT|WITH|AS|VALUES|INSERT|INTO|UPDATE|SET|DELETE|CREATE|TABLE)\b"
)


def keywords_in_case(sql: str, change: Callable[[str], str]) -> str:
    # Only keywords: table names are case-sensitive on MariaDB under Linux.
    return KEYWORD.sub(lambda match: change(match.group()), sql)


def alternating(word: str) -> str:
    return "".join(c.lower() if i % 2 else c for i, c in enumerate(word))


def decorated() -> list[Entry]:
    entries = []
    for sql in PLAIN_READS + PLAIN_WRITES:
        read = sql in PLAIN_READS
        for decoration in DECORATIONS:
            entries.append(Entry(decoration.format(sql), read))
        entries.append(Entry(keywords_in_case(sql, str.lower), read))
        entries.append(Entry(keywords_in_case(sql, alternating), read))
    return entries


COMMON = [
    *decorated(),
    *reads(
        "SELECT 1",
        "select 1",
        "SeLeCt 1",
        "SELECT name FROM rs_probe WHERE name = 'DELETE FROM rs_probe'",
        "SELECT name FROM rs_probe WHERE name = 'it''s; DROP TABLE rs_probe'",
        "SELECT name FROM rs_probe WHERE name = 'x' -- ; DELETE FROM rs_probe",
        "SELECT name FROM rs_probe /* ; DELETE FROM rs_probe */",
        "SELECT '--not a comment', '/*', 'INSERT' FROM rs_probe",
        "SELECT 'UPDATE rs_probe SET name = 1'",
        "SELECT REPLACE(name, 'a', 'b') FROM rs_probe",
        "SELECT name FROM rs_probe ORDER BY name DESC",
        "SELECT name FROM rs_probe WHERE id IN (SELECT id FROM rs_other)",
        "SELECT name FROM rs_probe WHERE EXISTS (SELECT 1 FROM rs_other)",
        "SELECT p.name FROM rs_probe p LEFT JOIN rs_other o ON o.id = p.id",
        "SELECT name, COUNT(*) FROM rs_probe GROUP BY name HAVING COUNT(*) > 0",
        "SELECT name FROM rs_probe UNION SELECT 'x' FROM rs_other",
        "SELECT name FROM rs_probe UNION ALL SELECT 'x' FROM rs_other",
        "SELECT name FROM rs_probe LIMIT 1 OFFSET 0",
        "SELECT CASE WHEN id > 1 THEN 'big' ELSE 'small' END FROM rs_probe",
        "SELECT RANK() OVER (ORDER BY id) FROM rs_probe",
        "SELECT name FROM rs_probe WHERE name LIKE '%%e%%'",
        "WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT x FROM b",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT x FROM c",
        "SELECT 1 -- DELETE FROM rs_probe",
        "EXPLAIN SELECT * FROM rs_probe",
        "SAVEPOINT s1",
        "SELECT 1;",
    ),
    *reads(";SELECT 1", vendors=(SQLITE, POSTGRESQL)),
    Entry("RELEASE SAVEPOINT s1", True, setup=("SAVEPOINT s1",)),
    Entry("RELEASE s1", True, (SQLITE, POSTGRESQL), setup=("SAVEPOINT s1",)),
    Entry("ROLLBACK TO SAVEPOINT s1", True, setup=("SAVEPOINT s1",)),
    Entry("ROLLBACK TO s1", True, setup=("SAVEPOINT s1",)),
    Entry("SELECT name FROM rs_probe WHERE id = %s", True, params=(7,)),
    Entry("SELECT name FROM rs_probe WHERE id IN (%s, %s)", True, params=(7, 8)),
    Entry("INSERT INTO rs_probe (id, name) VALUES (%s, %s)", False, params=(9, "n")),
    Entry("UPDATE rs_probe SET name = %s WHERE id = %s", False, params=("x", 7)),
    Entry("DELETE FROM rs_probe WHERE id = %s", False, params=(7,)),
    *writes(
        "insert into rs_probe (id, name) values (8, 'x')",
        "/* SELECT */ DELETE FROM rs_probe",
        "-- SELECT\nDELETE FROM rs_probe",
        "/* a */ /* b */ UPDATE rs_probe SET name = 'y'",
        "CREATE TEMPORARY TABLE rs_temp (x integer)",
        "CREATE INDEX rs_probe_name ON rs_probe (name)",
        "CREATE VIEW rs_view AS SELECT * FROM rs_probe",
        "ALTER TABLE rs_probe ADD COLUMN extra integer",
        "DROP TABLE rs_probe",
        "INSERT INTO rs_probe (id, name) SELECT id + 100, name FROM rs_probe",
        "UPDATE rs_probe SET name = (SELECT 'x')",
        "DELETE FROM rs_probe WHERE id IN (SELECT id FROM rs_other)",
    ),
]

SQLITE_ONLY = (SQLITE,)
SQLITE_ENTRIES = [
    *reads(
        "BEGIN",
        "BEGIN TRANSACTION",
        "BEGIN DEFERRED",
        "BEGIN DEFERRED TRANSACTION",
        "SELECT name FROM [rs_probe]",
        "SELECT `name` FROM `rs_probe`",
        'SELECT "name" FROM "rs_probe"',
        'SELECT "select", [delete] FROM (SELECT 1 AS "select", 2 AS [delete])',
        "PRAGMA foreign_keys = OFF",
        "PRAGMA foreign_keys = ON",
        "PRAGMA foreign_keys",
        "PRAGMA foreign_key_check",
        "PRAGMA foreign_key_check(rs_probe)",
        "PRAGMA main.foreign_key_check",
        "PRAGMA table_info(rs_probe)",
        "PRAGMA main.table_info(rs_probe)",
        "PRAGMA table_xinfo('rs_probe')",
        "PRAGMA index_list(rs_probe)",
        "PRAGMA foreign_key_list(rs_probe)",
        "PRAGMA integrity_check",
        "PRAGMA quick_check(5)",
        "PRAGMA journal_mode",
        "PRAGMA user_version",
        "PRAGMA page_size",
        "PRAGMA compile_options",
        "PRAGMA database_list",
        "PRAGMA query_only",
        "PRAGMA query_only = 1",
        "PRAGMA query_only = ON",
        "pragma legacy_alter_table = on",
        "PRAGMA legacy_alter_table = OFF",
        "PRAGMA cache_size = -2000",
        "PRAGMA case_sensitive_like = OFF",
        "PRAGMA recursive_triggers = OFF",
        "PRAGMA defer_foreign_keys = OFF",
        "EXPLAIN QUERY PLAN SELECT * FROM rs_probe",
        "EXPLAIN DELETE FROM rs_probe",
        "EXPLAIN QUERY PLAN DELETE FROM rs_probe",
        "SELECT name FROM rs_probe WHERE name GLOB 's*'",
        "SELECT sqlite_version()",
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        "SELECT json_extract('{\"a\": 1}', '$.a')",
        vendors=SQLITE_ONLY,
    ),
    Entry("COMMIT", True, SQLITE_ONLY, setup=("BEGIN",)),
    Entry("END", True, SQLITE_ONLY, setup=("BEGIN",)),
    Entry("END TRANSACTION", True, SQLITE_ONLY, setup=("BEGIN",)),
    Entry("ROLLBACK", True, SQLITE_ONLY, setup=("BEGIN",)),
    Entry('RELEASE "s 2"', True, SQLITE_ONLY, setup=('SAVEPOINT "s 2"',)),
    *writes(
        "PRAGMA user_version = 5",
        "PRAGMA user_version(5)",
        "PRAGMA application_id = 12",
        "REPLACE INTO rs_probe (id, name) VALUES (7, 'x')",
        "INSERT OR REPLACE INTO rs_probe (id, name) VALUES (7, 'x')",
        "INSERT OR IGNORE INTO rs_probe (id, name) VALUES (7, 'x')",
        "INSERT INTO rs_probe (id, name) VALUES (7, 'x') ON CONFLICT DO NOTHING",
        "DELETE FROM rs_probe RETURNING id",
        "UPDATE rs_probe SET name = 'x' RETURNING name",
        "WITH x AS (SELECT 1 AS id) DELETE FROM rs_probe WHERE id IN (SELECT id FROM x)",
        "WITH x AS (SELECT 9 AS id) INSERT INTO rs_probe (id) SELECT id FROM x",
        "CREATE TRIGGER rs_trigger AFTER INSERT ON rs_probe BEGIN SELECT 1; END",
        "ANALYZE",
        "ANALYZE rs_probe",
        "VACUUM",
        "VACUUM INTO '/tmp/readonly_scopes_never_written.sqlite3'",
        "CREATE TABLE rs_copy AS SELECT * FROM rs_probe",
        "ALTER TABLE rs_probe RENAME TO rs_renamed",
        vendors=SQLITE_ONLY,
    ),
    policy(
        "BEGIN IMMEDIATE",
        True,
        SQLITE_ONLY,
        "takes the write lock but changes nothing; atomic() sends it with "
        'OPTIONS["transaction_mode"]',
    ),
    policy(
        "BEGIN IMMEDIATE TRANSACTION",
        True,
        SQLITE_ONLY,
        "takes the write lock but changes nothing; atomic() sends it",
    ),
    policy(
        "BEGIN EXCLUSIVE",
        True,
        SQLITE_ONLY,
        "takes the write lock but changes nothing; atomic() sends it",
    ),
    policy("PRAGMA query_only = 0", False, SQLITE_ONLY, "switches read-only mode off"),
    policy(
        "PRAGMA query_only = OFF", False, SQLITE_ONLY, "switches read-only mode off"
    ),
    policy(
        "PRAGMA journal_mode = DELETE",
        False,
        SQLITE_ONLY,
        "changing the journal mode rewrites the database file",
    ),
    policy(
        "ATTACH ':memory:' AS aux1", False, SQLITE_ONLY, "attaching creates the file"
    ),
    Entry("DETACH aux1", True, SQLITE_ONLY),
    policy(
        "SELECT load_extension('readonly_scopes_missing')",
        False,
        SQLITE_ONLY,
        "loads code into the database; not run, as extensions are disabled",
        run=False,
    ),
]

PG = (POSTGRESQL,)
POSTGRESQL_ENTRIES = [
    *reads(
        "\nSELECT\n    c.relname,\n    c.relkind\nFROM pg_catalog.pg_class c\n"
        "WHERE c.relname = 'rs_probe'",
        "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'rs_probe'",
        "(SELECT 1) UNION (SELECT 2)",
        "((SELECT 1))",
        "(VALUES (1)) UNION ALL (VALUES (2))",
        "TABLE rs_probe",
        "table rs_probe",
        "SHOW TimeZone",
        "SHOW ALL",
        "SHOW default_transaction_read_only",
        "SET CONSTRAINTS ALL IMMEDIATE",
        "SET CONSTRAINTS ALL DEFERRED",
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "SET TRANSACTION READ ONLY",
        "SET search_path TO public",
        "SET TIME ZONE 'UTC'",
        "SET LOCAL statement_timeout = '5s'",
        "SET SESSION statement_timeout = 0",
        "RESET search_path",
        "SELECT set_config('search_path', 'public', true)",
        "SELECT current_setting('default_transaction_read_only')",
        "SELECT pg_advisory_xact_lock(1)",
        "SELECT last_value FROM rs_seq",
        "EXPLAIN DELETE FROM rs_probe",
        "EXPLAIN (COSTS OFF) DELETE FROM rs_probe",
        "EXPLAIN VERBOSE UPDATE rs_probe SET name = 'x'",
        "EXPLAIN ANALYZE SELECT * FROM rs_probe",
        "EXPLAIN (ANALYZE) SELECT 1",
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM rs_probe",
        "EXPLAIN (ANALYZE FALSE) DELETE FROM rs_probe",
        "EXPLAIN (ANALYZE off, COSTS off) INSERT INTO rs_probe VALUES (9, 'n')",
        "SELECT E'\\'; DELETE FROM rs_probe; --'",
        "SELECT e'a\\'b'",
        "SELECT $$; DELETE FROM rs_probe; $$",
        "SELECT $tag$ $$ ; DELETE FROM rs_probe $tag$",
        "SELECT $a$x$a$ || $b$y$b$",
        "SELECT 1 /* outer /* inner; DELETE FROM rs_probe */ still a comment */",
        'SELECT "delete" FROM (SELECT 1 AS "delete") AS "update"',
        'SELECT "name" FROM "rs_probe"',
        "SELECT name FROM rs_probe WHERE id = 7",
        "SELECT substring('abcdef' FROM 2 FOR 3)",
        "SELECT * FROM rs_probe TABLESAMPLE SYSTEM (100)",
        "SELECT jsonb_build_object('a', 1) -> 'a'",
        "SELECT 1; SELECT 2",
        "SELECT 1; ; SELECT 2;",
        "BEGIN",
        "BEGIN WORK",
        "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY",
        "BEGIN READ ONLY NOT DEFERRABLE",
        "START TRANSACTION READ ONLY",
        "START TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "COMMIT",
        "COMMIT AND NO CHAIN",
        "END",
        "END TRANSACTION",
        "ROLLBACK",
        "ABORT",
        "DECLARE rs_cursor CURSOR FOR SELECT * FROM rs_probe",
        "DECLARE rs_cursor NO SCROLL CURSOR WITHOUT HOLD FOR SELECT name FROM rs_probe",
        vendors=PG,
    ),
    Entry('RELEASE SAVEPOINT "s 2"', True, PG, setup=('SAVEPOINT "s 2"',)),
    Entry(
        "FETCH ALL FROM rs_cursor",
        True,
        PG,
        setup=("DECLARE rs_cursor SCROLL CURSOR FOR SELECT * FROM rs_probe",),
    ),
    Entry(
        "MOVE NEXT IN rs_cursor",
        True,
        PG,
        setup=("DECLARE rs_cursor SCROLL CURSOR FOR SELECT * FROM rs_probe",),
    ),
    Entry(
        "CLOSE rs_cursor",
        True,
        PG,
        setup=("DECLARE rs_cursor CURSOR FOR SELECT * FROM rs_probe",),
    ),
    Entry("CLOSE ALL", True, PG),
    Entry("COPY rs_probe TO STDOUT", True, PG),
    Entry("COPY (SELECT name FROM rs_probe) TO STDOUT WITH (FORMAT csv)", True, PG),
    Entry("COPY rs_probe FROM STDIN", False, PG),
    Entry("COPY (DELETE FROM rs_probe RETURNING *) TO STDOUT", False, PG),
    *writes(
        "SELECT * FROM rs_probe FOR UPDATE",
        "SELECT * FROM rs_probe FOR SHARE",
        "SELECT * FROM rs_probe FOR NO KEY UPDATE",
        "SELECT * FROM rs_probe FOR KEY SHARE",
        "SELECT * FROM rs_probe FOR UPDATE SKIP LOCKED",
        "SELECT * FROM rs_probe FOR UPDATE OF rs_probe NOWAIT",
        "DECLARE rs_cursor CURSOR FOR SELECT * FROM rs_probe FOR UPDATE",
        "WITH d AS (DELETE FROM rs_probe RETURNING *) SELECT * FROM d",
        "WITH u AS (UPDATE rs_probe SET name = 'x' RETURNING id) SELECT count(*) FROM u",
        "WITH i AS (INSERT INTO rs_probe VALUES (8, 'e') RETURNING id) SELECT * FROM i",
        "WITH RECURSIVE d AS (DELETE FROM rs_probe RETURNING id) TABLE d",
        "SELECT nextval('rs_seq')",
        "SELECT setval('rs_seq', 5)",
        "SELECT pg_catalog.nextval('rs_seq')",
        "SELECT \"nextval\"('rs_seq')",
        "SELECT * INTO rs_copy FROM rs_probe",
        "SELECT * INTO TEMP rs_temp_copy FROM rs_probe",
        "CREATE TABLE rs_copy AS SELECT * FROM rs_probe",
        "EXPLAIN ANALYZE DELETE FROM rs_probe",
        "EXPLAIN ANALYSE DELETE FROM rs_probe",
        "EXPLAIN (ANALYZE) UPDATE rs_probe SET name = 'x'",
        "EXPLAIN (ANALYZE TRUE, BUFFERS) INSERT INTO rs_probe VALUES (9, 'n')",
        "EXPLAIN ANALYZE VERBOSE SELECT * FROM rs_probe FOR UPDATE",
        "SELECT 1; DELETE FROM rs_probe",
        "BEGIN; DELETE FROM rs_probe; COMMIT",
        "SELECT $$;$$; DELETE FROM rs_probe",
        "SELECT 'a;'; DELETE FROM rs_probe",
        "SELECT 'a\\'; DELETE FROM rs_probe; -- '",
        "SELECT 1 /* a /* b */ */; DELETE FROM rs_probe",
        "TRUNCATE rs_probe",
        "TRUNCATE TABLE rs_probe RESTART IDENTITY",
        "COMMENT ON TABLE rs_probe IS 'x'",
        "GRANT SELECT ON rs_probe TO PUBLIC",
        "DO $$ BEGIN DELETE FROM rs_probe; END $$",
        "MERGE INTO rs_probe p USING rs_other o ON p.id = o.id WHEN MATCHED THEN DELETE",
        "CREATE SEQUENCE rs_seq2",
        "ALTER SEQUENCE rs_seq RESTART",
        "CREATE MATERIALIZED VIEW rs_view2 AS SELECT 1",
        vendors=PG,
    ),
    policy(
        "ANALYZE rs_probe",
        False,
        PG,
        "rewrites the planner's statistics in the catalog: maintenance stays blocked",
    ),
    policy(
        "SET default_transaction_read_only = off",
        False,
        PG,
        "switches the database's own read-only mode off",
    ),
    policy(
        "SET default_transaction_read_only TO on",
        False,
        PG,
        "changes the database's own read-only mode, which the backstop manages",
    ),
    policy(
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        False,
        PG,
        "switches the database's own read-only mode off",
    ),
    policy(
        "SET TRANSACTION READ WRITE",
        False,
        PG,
        "switches the transaction to read-write",
    ),
    policy(
        "SET transaction_read_only = off",
        False,
        PG,
        "switches the transaction to read-write",
    ),
    policy(
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        False,
        PG,
        "switches the database's own read-only mode off",
    ),
    policy(
        "RESET default_transaction_read_only",
        False,
        PG,
        "may switch the database's own read-only mode off",
    ),
    policy("RESET ALL", False, PG, "may switch the database's own read-only mode off"),
    policy(
        "BEGIN READ WRITE",
        False,
        PG,
        "starts a read-write transaction whatever the session default",
    ),
    policy(
        "START TRANSACTION READ WRITE",
        False,
        PG,
        "starts a read-write transaction whatever the session default",
    ),
    policy(
        "SELECT lo_create(0)",
        False,
        PG,
        "large objects are written even in a read-only transaction",
    ),
    policy(
        "SELECT lo_from_bytea(0, 'data')",
        False,
        PG,
        "large objects are written even in a read-only transaction",
    ),
    policy(
        "COPY rs_probe TO '/tmp/readonly_scopes_copy.csv'",
        False,
        PG,
        "writes a file on the server; not run",
        run=False,
    ),
    policy(
        "SELECT pg_reload_conf()",
        False,
        PG,
        "acts on the server; not run",
        run=False,
    ),
]

MY = (MYSQL,)
MYSQL_ENTRIES = [
    *reads(
        "SELECT VERSION(), @@sql_mode, @@default_storage_engine, @@sql_auto_is_null,"
        " @@lower_case_table_names, CONVERT_TZ('2001-01-01 01:00:00', 'UTC', 'UTC')"
        " IS NOT NULL",
        "\nSELECT\n    table_name, table_type\nFROM information_schema.tables\n"
        "WHERE table_schema = DATABASE()",
        "(SELECT 1) UNION (SELECT 2)",
        "SELECT 1 # trailing comment",
        "SELECT 1 # ; DELETE FROM rs_probe",
        "# leading comment\nSELECT 1",
        "SELECT 1 -- ; DELETE FROM rs_probe",
        "SELECT 1 --\tDELETE FROM rs_probe",
        "SELECT 1--1",
        "SELECT 1 INTO @x",
        "SELECT 1, 2 INTO @a, @b",
        "SELECT name FROM rs_probe LIMIT 1 INTO @name",
        "SELECT @x, @@session.sql_mode",
        "SELECT `name` FROM `rs_probe`",
        "SELECT `delete` FROM (SELECT 1 AS `delete`) AS `update`",
        'SELECT "DELETE FROM rs_probe"',
        'SELECT \'it\'\'s\', "say ""hi"""',
        "SELECT 1 /*!50000 , (SELECT 2) */",
        "/*!50000 SELECT */ 1",
        "SELECT /*+ NO_INDEX_MERGE(rs_probe) */ name FROM rs_probe",
        "SHOW TABLES",
        "SHOW CREATE TABLE rs_probe",
        "SHOW VARIABLES LIKE 'tx%%'",
        "SHOW COLUMNS FROM rs_probe",
        "SHOW INDEX FROM rs_probe",
        "DESCRIBE rs_probe",
        "DESC rs_probe",
        "DESCRIBE rs_probe name",
        "EXPLAIN FORMAT=JSON SELECT 1",
        "DESCRIBE SELECT * FROM rs_probe",
        "ANALYZE SELECT * FROM rs_probe",
        "SET foreign_key_checks = 0",
        "SET foreign_key_checks = 1",
        "SET FOREIGN_KEY_CHECKS=1",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET NAMES utf8mb4",
        "SET @x = 1",
        "SET @x = (SELECT COUNT(*) FROM rs_probe)",
        "SET @@session.sql_mode = @@session.sql_mode",
        "SET STATEMENT max_statement_time = 10 FOR SELECT 1",
        "SELECT GET_LOCK('readonly_scopes', 0)",
        "SELECT RELEASE_LOCK('readonly_scopes')",
        "SELECT LASTVAL(rs_seq)",
        "SELECT PREVIOUS VALUE FOR rs_seq",
        "SELECT 1; SELECT 2",
        "BEGIN",
        "BEGIN WORK",
        "START TRANSACTION",
        "START TRANSACTION READ ONLY",
        "START TRANSACTION WITH CONSISTENT SNAPSHOT",
        "COMMIT",
        "COMMIT WORK",
        "ROLLBACK",
        "ROLLBACK WORK",
        vendors=MY,
    ),
    Entry("ROLLBACK WORK TO SAVEPOINT s1", True, MY, setup=("SAVEPOINT s1",)),
    Entry("RELEASE SAVEPOINT `s 2`", True, MY, setup=("SAVEPOINT `s 2`",)),
    *writes(
        "SELECT * FROM rs_probe FOR UPDATE",
        "SELECT * FROM rs_probe FOR UPDATE SKIP LOCKED",
        "SELECT 1; DELETE FROM rs_probe",
        "SELECT 1--1; DELETE FROM rs_probe",
        "SELECT 'a;'; DELETE FROM rs_probe",
        "/*! DELETE FROM rs_probe */",
        "/*!50000 DELETE FROM rs_probe */",
        "REPLACE INTO rs_probe (id, name) VALUES (7, 'x')",
        "INSERT INTO rs_probe (id, name) VALUES (7, 'x') ON DUPLICATE KEY UPDATE name = 'y'",
        "INSERT IGNORE INTO rs_probe (id, name) VALUES (7, 'x')",
        "UPDATE rs_probe p JOIN rs_other o ON o.id = p.id SET p.name = 'x'",
        "DELETE p FROM rs_probe p JOIN rs_other o ON o.id = p.id",
        "TRUNCATE rs_probe",
        "TRUNCATE TABLE rs_probe",
        "CREATE TABLE rs_copy AS SELECT * FROM rs_probe",
        "CREATE TABLE rs_like LIKE rs_probe",
        "RENAME TABLE rs_probe TO rs_renamed",
        "SELECT NEXTVAL(rs_seq)",
        "SELECT NEXT VALUE FOR rs_seq",
        "SELECT SETVAL(rs_seq, 50)",
        "SET @x = NEXTVAL(rs_seq)",
        "SET STATEMENT max_statement_time = 10 FOR DELETE FROM rs_probe",
        "ANALYZE DELETE FROM rs_probe",
        "EXPLAIN DELETE FROM rs_probe",
        "EXPLAIN FORMAT=JSON UPDATE rs_probe SET name = 'x'",
        "ANALYZE UPDATE rs_probe SET name = 'x'",
        "BEGIN NOT ATOMIC DELETE FROM rs_probe; END",
        vendors=MY,
    ),
    Entry("SELECT * FROM rs_probe LOCK IN SHARE MODE", True, MY),
    policy(
        "SET SESSION TRANSACTION READ WRITE",
        False,
        MY,
        "switches the database's own read-only mode off",
    ),
    policy(
        "SET @@session.tx_read_only = 0",
        False,
        MY,
        "switches the database's own read-only mode off",
    ),
    policy(
        "START TRANSACTION READ WRITE",
        False,
        MY,
        "starts a read-write transaction whatever the session default",
    ),
    policy(
        "SELECT 'a\\'; DELETE FROM rs_probe; -- '",
        False,
        MY,
        "under NO_BACKSLASH_ESCAPES the server would run the DELETE",
    ),
    policy(
        "SELECT 'a\\'' FROM rs_probe",
        False,
        MY,
        "cannot be read under NO_BACKSLASH_ESCAPES: fail closed",
    ),
    policy(
        'SELECT "a\\"b"',
        False,
        MY,
        "cannot be read under NO_BACKSLASH_ESCAPES: fail closed",
    ),
    policy(
        "SELECT 1 /*!99999 FOR UPDATE */",
        False,
        MY,
        "executable comments are read as code whatever their version",
    ),
    policy(
        "SELECT name FROM rs_probe INTO OUTFILE '/tmp/readonly_scopes.txt'",
        False,
        MY,
        "writes a file on the server; not run",
        run=False,
    ),
    policy(
        "SELECT name FROM rs_probe INTO DUMPFILE '/tmp/readonly_scopes.bin'",
        False,
        MY,
        "writes a file on the server; not run",
        run=False,
    ),
    policy(
        "SET GLOBAL max_connections = 500",
        False,
        MY,
        "a server setting; not run",
        run=False,
    ),
    policy(
        "SET @@global.sql_mode = ''", False, MY, "a server setting; not run", run=False
    ),
    policy(
        "SET PERSIST max_connections = 500",
        False,
        MY,
        "a server setting; not run",
        run=False,
    ),
    policy(
        "SET PASSWORD = PASSWORD('x')",
        False,
        MY,
        "an account setting; not run",
        run=False,
    ),
    policy(
        "SET PASSWORD FOR 'someone'@'%%' = PASSWORD('x')",
        False,
        MY,
        "an account setting; not run",
        run=False,
    ),
    policy(
        "SET DEFAULT ROLE NONE", False, MY, "an account setting; not run", run=False
    ),
]

# One section per lexer rule: text the servers read differently from a naive
# tokenizer.
PUT_OFF = "a placeholder inside quotes or a comment takes the driver's quoted value"

LEXER_RULES = [
    # PostgreSQL scan.l {comment}: "\r" ends a line comment too.
    Entry("SELECT 1 --x\r; DELETE FROM rs_probe", False, PG),
    Entry("SELECT 1 --x\r, 2", True, PG),
    # {ident_start}/{ident_cont}: non-ASCII letters, "$" inside names.
    Entry("SELECT 1 AS é, 2 AS a$b", True, PG),
    Entry("SELECT 1 AS a$$; DELETE FROM rs_probe", False, PG),
    # {dolqdelim} with non-ASCII tags; a delimiter that is not the tag gives
    # back only its last "$".
    Entry("SELECT $é$ ; DELETE FROM rs_probe $é$", True, PG),
    Entry("SELECT $b$ $ab$' $b$; DELETE FROM rs_probe; -- '", False, PG),
    Entry("SELECT $b$ $ab$ $b$", True, PG),
    # {quotecontinue}: strings split over lines, E'' keeping its escapes.
    Entry("SELECT 'a'\n'b'", True, PG),
    Entry("SELECT E'x'\n'\\'; DELETE FROM rs_probe; --'", True, PG),
    Entry("SELECT 'a' -- note\n'b'", True, PG),
    # {xbstart}, {xhstart}, {xnstart}: no backslash escapes in bit strings.
    Entry("SELECT B'101', X'1F', N'x'", True, PG),
    # {xuistart}, {xusstart} and UESCAPE, decoded before names are matched.
    Entry("SELECT U&'d\\0061ta', U&'!0041' UESCAPE '!'", True, PG),
    Entry("SELECT U&\"nextv\\0061l\"('rs_seq')", False, PG),
    Entry("SELECT U&'x' /* c */ UESCAPE '!'", True, PG),
    Entry("SELECT pg_catalog.\"nextval\"('rs_seq')", False, PG),
    # Placeholders: only with parameters does the driver substitute them.
    Entry("SELECT '%s', '%%'", True, (POSTGRESQL, MYSQL)),
    Entry("SELECT %s, 7 %% 3", True, (POSTGRESQL, MYSQL), params=(1,)),
    Entry("SELECT %s", True, SQLITE_ONLY, params=(1,)),
    Entry("SELECT '%s', '%%'", True, SQLITE_ONLY, params=()),
    Entry(
        "SELECT '%s'",
        False,
        (POSTGRESQL, MYSQL),
        params=(7,),
        policy=PUT_OFF + ", which could end the string",
    ),
    # MariaDB sql_lex.cc: my_isspace() takes \v; "--" starts a comment before
    # any control character; "#" comments end at "\n" only.
    Entry("SELECT\v1", True, MY),
    Entry("SELECT 1 --\v; DELETE FROM rs_probe", True, MY),
    Entry("SELECT 1 #x\r; DELETE FROM rs_probe", True, MY),
    Entry("SELECT 1 --1; DELETE FROM rs_probe", False, MY),
    # MY_LEX_NUMBER_IDENT, MY_LEX_REAL: where a number ends.
    Entry("SELECT 1.INTO @x", True, MY),
    Entry("SELECT 1e5a, 0x1F, .5e1", True, MY),
    Entry("SELECT 1.FROM rs_probe FOR UPDATE", False, MY),
    # Introducers and prefixed strings.
    Entry("SELECT X'4a', b'01', N'x', _utf8mb4'y', _binary 'z'", True, MY),
    Entry(
        "SELECT N'a\\'; DELETE FROM rs_probe; -- '",
        False,
        MY,
        policy="under NO_BACKSLASH_ESCAPES the server would run the DELETE",
    ),
    # Executable comments: versioned ones may be code or comment.
    Entry("SELECT 1 /*M! + 1 */", True, MY),
    Entry("SELECT 1 /*!50000 + 1 */ /*! + 1 */", True, MY),
    Entry("/*!100000 DELETE FROM rs_probe */", False, MY),
    Entry("SELECT 1 /*! /* plain */ + 1 */", True, MY),
    Entry(
        "SELECT 1 /*!999999 /* nested */ FOR UPDATE */",
        False,
        MY,
        policy="a later server would run the FOR UPDATE",
    ),
    # Quoted names and variables under NO_BACKSLASH_ESCAPES too.
    Entry(
        "SELECT @'a\\'b'",
        False,
        MY,
        policy="cannot be read under NO_BACKSLASH_ESCAPES: fail closed",
    ),
    # SQLite tokenize.c: an unterminated comment runs to the end.
    Entry("SELECT 1 /* unterminated", True, SQLITE_ONLY),
    Entry("SELECT x'4a', [a b] FROM (SELECT 1 AS [a b])", True, SQLITE_ONLY),
    Entry("SELECT 1 --x\r, 2", True, SQLITE_ONLY),
    # Keywords used as names are not statements.
    Entry("SELECT merge, insert FROM (SELECT 1 AS merge, 2 AS insert) AS s", True, PG),
    Entry("SELECT update FROM (SELECT 1 AS update) AS s", True, PG),
]

# One section per meaning the guard must see.
MEANINGS = [
    # EXPLAIN options in every spelling.
    Entry('EXPLAIN ("analyze") DELETE FROM rs_probe', False, PG),
    Entry("EXPLAIN (analyse) DELETE FROM rs_probe", False, PG),
    Entry("EXPLAIN (ANALYZE 1) DELETE FROM rs_probe", False, PG),
    Entry("EXPLAIN (ANALYZE 'on') DELETE FROM rs_probe", False, PG),
    Entry("EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM rs_probe", False, PG),
    Entry("EXPLAIN (ANALYZE 0) DELETE FROM rs_probe", True, PG),
    Entry("EXPLAIN (ANALYZE 'OFF') DELETE FROM rs_probe", True, PG),
    Entry("EXPLAIN (ANALYZE 'false', FORMAT JSON) DELETE FROM rs_probe", True, PG),
    Entry("ANALYZE FORMAT=JSON SELECT * FROM rs_probe", True, MY),
    Entry("ANALYZE FORMAT=JSON DELETE FROM rs_probe", False, MY),
    Entry("EXPLAIN EXTENDED SELECT 1", True, MY),
    Entry("EXPLAIN FORMAT=JSON DELETE FROM rs_probe", False, MY),
    Entry("EXPLAIN PRAGMA query_only", True, SQLITE_ONLY),
    # MariaDB SHOW ... WHERE evaluates its expression; DO evaluates one.
    Entry("SHOW TABLES WHERE 1 = 1", True, MY),
    Entry("SHOW TABLES WHERE NEXTVAL(rs_seq) > 0", False, MY),
    Entry("DO 1 + 1", True, MY),
    Entry("DO NEXTVAL(rs_seq)", False, MY),
    # Built-ins that run SQL given as text fail closed.
    Entry(
        "SELECT query_to_xml('SELECT 1', true, false, '')",
        False,
        PG,
        policy="runs SQL given as text, which the guard cannot read",
    ),
    Entry(
        "SELECT * FROM ts_stat('SELECT to_tsvector(''x'')')",
        False,
        PG,
        policy="runs SQL given as text, which the guard cannot read",
    ),
    Entry(
        "SELECT dblink_exec('dbname=test', 'DELETE FROM rs_probe')",
        False,
        PG,
        policy="dblink opens its own read-write session; not run",
        run=False,
    ),
    # set_config() with a name that is not one plain literal.
    Entry(
        "SELECT set_config('search' || '_path', 'public', false)",
        False,
        PG,
        policy="the name could be default_transaction_read_only",
    ),
    Entry(
        "SELECT set_config(U&'default_transaction_read_onl\\0079', 'off', false)",
        False,
        PG,
        policy="switches the database's own read-only mode off",
    ),
    # Cursors and prepared statements, per connection.
    Entry("PREPARE rs_p1 AS SELECT name FROM rs_probe", True, PG),
    Entry("PREPARE rs_p2 AS DELETE FROM rs_probe", True, PG),
    Entry("EXECUTE rs_p3", True, PG, setup=("PREPARE rs_p3 AS SELECT 1",)),
    Entry("EXECUTE rs_p4", False, PG, setup=("PREPARE rs_p4 AS DELETE FROM rs_probe",)),
    Entry("EXECUTE rs_p5(7)", True, PG, setup=("PREPARE rs_p5(int) AS SELECT $1",)),
    Entry("DEALLOCATE rs_p6", True, PG, setup=("PREPARE rs_p6 AS SELECT 1",)),
    Entry("DEALLOCATE PREPARE ALL", True, PG),
    Entry("DISCARD PLANS", True, PG),
    Entry(
        "DECLARE rs_c1 CURSOR FOR SELECT name FROM rs_probe; FETCH NEXT FROM rs_c1",
        True,
        PG,
    ),
    Entry("PREPARE rs_m1 FROM 'SELECT 1'", True, MY),
    Entry("EXECUTE rs_m2", True, MY, setup=("PREPARE rs_m2 FROM 'SELECT 1'",)),
    Entry(
        "EXECUTE rs_m3", False, MY, setup=("PREPARE rs_m3 FROM 'DELETE FROM rs_probe'",)
    ),
    Entry(
        "DEALLOCATE PREPARE rs_m4", True, MY, setup=("PREPARE rs_m4 FROM 'SELECT 1'",)
    ),
    Entry("DROP PREPARE rs_m5", True, MY, setup=("PREPARE rs_m5 FROM 'SELECT 1'",)),
    Entry(
        "EXECUTE IMMEDIATE 'SELECT 1'",
        False,
        MY,
        policy="runs SQL given as text, which the guard cannot read",
    ),
    # Reads that no policy makes writes.
    Entry("CHECKSUM TABLE rs_probe", True, MY),
    Entry("CHECK TABLE rs_probe", True, MY),
    Entry("HELP 'SELECT'", True, MY),
    Entry("SET @x = 'read_only'", True, MY),
    Entry("SET application_name = 'read_only'", True, PG),
    Entry(
        "SET STATEMENT max_statement_time = 10 FOR SET STATEMENT "
        "max_statement_time = 10 FOR SELECT 1",
        True,
        MY,
    ),
    *reads(
        "PRAGMA temp_store",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA threads = 2",
        "PRAGMA analysis_limit = 100",
        "PRAGMA shrink_memory",
        vendors=SQLITE_ONLY,
    ),
]

# Server administration: the read-only mode does not stop it, and a
# read-only session must not change the server.
ADMINISTRATION = "acts on the server; not run"
POLICY_WRITES = [
    *[
        policy(sql, False, PG, ADMINISTRATION, run=False)
        for sql in (
            "SELECT pg_terminate_backend(0)",
            "SELECT pg_cancel_backend(0)",
            "SELECT pg_catalog.pg_rotate_logfile()",
            "SELECT pg_switch_wal()",
            "SELECT pg_stat_reset()",
            "SELECT pg_stat_reset_shared('bgwriter')",
            "SELECT pg_create_restore_point('x')",
            "SELECT pg_backup_start('x')",
            "SELECT pg_create_physical_replication_slot('x')",
            "SELECT pg_drop_replication_slot('x')",
            "SELECT pg_logical_slot_get_changes('x', NULL, NULL)",
            "SELECT pg_replication_origin_create('x')",
            "SELECT pg_file_write('x', 'y', false)",
            'SELECT "PG_TERMINATE_BACKEND"(0)',
        )
    ],
    *[
        policy(sql, False, MY, ADMINISTRATION, run=False)
        for sql in (
            "KILL 0",
            "KILL QUERY 0",
            "FLUSH TABLES",
            "FLUSH PRIVILEGES",
            "SHUTDOWN",
            "PURGE BINARY LOGS BEFORE NOW()",
        )
    ],
]

CORPUS: list[Entry] = (
    COMMON
    + SQLITE_ENTRIES
    + POSTGRESQL_ENTRIES
    + MYSQL_ENTRIES
    + LEXER_RULES
    + MEANINGS
    + POLICY_WRITES
)
