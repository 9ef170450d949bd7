/* sql/wtsmgr--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION wtsmgr UPDATE TO '1.2'" to load this file. \quit

-- wtsmgr_status gains effective_full_page_writes: whether WAL records
-- inserted now take full-page images (the server's shared value, which
-- counts running backups too), next to this backend's setting.  Reading
-- it inserts a no-op WAL record; NULL during recovery.
DROP VIEW wtsmgr_status;
DROP FUNCTION wtsmgr_status();

CREATE FUNCTION wtsmgr_status(
    OUT mode text,
    OUT effective_mode text,
    OUT kernel_writethrough boolean,
    OUT write_path text,
    OUT full_page_writes_policy text,
    OUT atomic_proven boolean,
    OUT full_page_writes boolean,
    OUT full_page_writes_reason text,
    OUT wal_write_zeroes boolean,
    OUT effective_full_page_writes boolean
)
RETURNS record
AS 'MODULE_PATHNAME', 'wtsmgr_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW wtsmgr_status AS
  SELECT * FROM wtsmgr_status();

REVOKE ALL ON FUNCTION wtsmgr_status() FROM PUBLIC;
GRANT SELECT ON wtsmgr_status TO pg_monitor;
GRANT EXECUTE ON FUNCTION wtsmgr_status() TO pg_monitor;
