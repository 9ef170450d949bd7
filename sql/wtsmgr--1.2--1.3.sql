/* sql/wtsmgr--1.2--1.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION wtsmgr UPDATE TO '1.3'" to load this file. \quit

-- Asynchronous atomic data writes (io_uring).  wtsmgr_status gains the
-- setting (async_writes, max_inflight_writes), whether the kernel was
-- found to copy such a write when it is submitted (async_proven), and why
-- (not).  wtsmgr_stats gains, per backend type: writes submitted
-- asynchronously (a part of atomic_writes), writes the kernel refused
-- inline and that were written synchronously instead, waits for
-- completions (before a sync, a close or a sleep, or with the queue
-- full) and the time spent in them, and the writes in flight now and at
-- most since the server started.
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
    OUT effective_full_page_writes boolean,
    OUT async_writes text,
    OUT max_inflight_writes integer,
    OUT async_proven boolean,
    OUT async_reason text
)
RETURNS record
AS 'MODULE_PATHNAME', 'wtsmgr_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW wtsmgr_status AS
  SELECT * FROM wtsmgr_status();

REVOKE ALL ON FUNCTION wtsmgr_status() FROM PUBLIC;
GRANT SELECT ON wtsmgr_status TO pg_monitor;
GRANT EXECUTE ON FUNCTION wtsmgr_status() TO pg_monitor;

DROP VIEW wtsmgr_stats;
DROP FUNCTION wtsmgr_stats();

CREATE FUNCTION wtsmgr_stats(
    OUT backend_type text,
    OUT atomic_writes bigint,
    OUT atomic_bytes bigint,
    OUT writethrough_writes bigint,
    OUT writethrough_bytes bigint,
    OUT passthrough_writes bigint,
    OUT passthrough_bytes bigint,
    OUT atomic_failures bigint,
    OUT extend_write_zeroes bigint,
    OUT extend_fallbacks bigint,
    OUT wal_segments_write_zeroes bigint,
    OUT wal_segments_fallback bigint,
    OUT wal_write_zeroes_bytes bigint,
    OUT stats_reset timestamp with time zone,
    OUT async_writes bigint,
    OUT async_refused bigint,
    OUT async_waits bigint,
    OUT async_wait_time double precision,
    OUT async_inflight bigint,
    OUT async_inflight_peak bigint
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wtsmgr_stats_sql'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

-- async_wait_time in milliseconds, as pg_stat_io's times
CREATE VIEW wtsmgr_stats AS
  SELECT * FROM wtsmgr_stats();

REVOKE ALL ON FUNCTION wtsmgr_stats() FROM PUBLIC;
GRANT SELECT ON wtsmgr_stats TO pg_monitor;
GRANT EXECUTE ON FUNCTION wtsmgr_stats() TO pg_monitor;
