/* sql/wtsmgr--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION wtsmgr" to load this file. \quit

-- What the write path does and why full_page_writes is what it is.
CREATE FUNCTION wtsmgr_status(
    OUT mode text,
    OUT effective_mode text,
    OUT kernel_writethrough boolean,
    OUT write_path text,
    OUT full_page_writes_policy text,
    OUT atomic_proven boolean,
    OUT full_page_writes boolean,
    OUT full_page_writes_reason text,
    OUT wal_write_zeroes boolean
)
RETURNS record
AS 'MODULE_PATHNAME', 'wtsmgr_status'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW wtsmgr_status AS
  SELECT * FROM wtsmgr_status();

-- One probed location: what statx, sysfs and a real write found there.
-- tablespace is "pg_default", a tablespace OID, or NULL for an on-demand
-- probe (wtsmgr_probe).
CREATE TYPE wtsmgr_location AS (
    tablespace text,
    path text,
    device text,
    device_number text,
    atomic_unit_min bigint,
    atomic_unit_max bigint,
    atomic_unit_max_opt bigint,
    device_atomic_unit_min bigint,
    device_atomic_unit_max bigint,
    device_atomic_max_bytes bigint,
    file_created boolean,
    writethrough_ok boolean,
    limits_ok boolean,
    atomic_ok boolean,
    probe_ok boolean,
    reason text
);

-- The locations probed at startup: PGDATA and every tablespace.
CREATE FUNCTION wtsmgr_locations()
RETURNS SETOF wtsmgr_location
AS 'MODULE_PATHNAME', 'wtsmgr_locations_sql'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW wtsmgr_locations AS
  SELECT * FROM wtsmgr_locations();

-- Probe a directory now: writes and removes a temporary file there.
CREATE FUNCTION wtsmgr_probe(location text)
RETURNS wtsmgr_location
AS 'MODULE_PATHNAME', 'wtsmgr_probe'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION wtsmgr_probe(text) FROM PUBLIC;

-- Write path counters per backend type, kept in shared memory.
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
    OUT stats_reset timestamp with time zone
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wtsmgr_stats_sql'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW wtsmgr_stats AS
  SELECT * FROM wtsmgr_stats();

CREATE FUNCTION wtsmgr_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'wtsmgr_stats_reset_sql'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

REVOKE ALL ON FUNCTION wtsmgr_stats_reset() FROM PUBLIC;

-- Anybody may look; only superusers may probe or reset (see above).
GRANT SELECT ON wtsmgr_status, wtsmgr_locations, wtsmgr_stats TO PUBLIC;
