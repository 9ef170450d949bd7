--
-- wtsmgr_status and wtsmgr_locations
--
-- Values that depend on the kernel (write-through and atomic support) are
-- not shown; their consistency is checked instead.

\d wtsmgr_status
\d wtsmgr_locations

SELECT mode, write_path, full_page_writes_policy, atomic_proven,
       full_page_writes, wal_write_zeroes, effective_full_page_writes
  FROM wtsmgr_status;

-- write-through mode is used exactly when the kernel supports it
SELECT effective_mode = CASE WHEN kernel_writethrough THEN 'writethrough'
                             ELSE 'off' END AS effective_mode_follows_kernel,
       full_page_writes = current_setting('full_page_writes')::boolean
         AS full_page_writes_matches_setting,
       full_page_writes_reason LIKE '%not atomic%'
         OR full_page_writes_reason LIKE '%no buffered write-through%'
         AS reason_explains
  FROM wtsmgr_status;

-- asynchronous writes need atomic ones: never proven in writethrough mode
SELECT async_writes, max_inflight_writes, async_proven,
       async_reason LIKE 'data writes are not atomic%'
         OR async_reason LIKE '%without liburing%' AS async_reason_explains
  FROM wtsmgr_status;

-- PGDATA is the first location probed at startup
SELECT tablespace, path = current_setting('data_directory') AS is_pgdata,
       file_created
  FROM wtsmgr_locations;

-- every probe result is consistent
SELECT probe_ok = (writethrough_ok AND limits_ok AND atomic_ok) AS ok_consistent,
       limits_ok = (atomic_unit_min > 0
                    AND atomic_unit_min <= current_setting('block_size')::int
                    AND atomic_unit_max >= current_setting('block_size')::int)
         AS limits_consistent,
       device_number ~ '^[0-9]+:[0-9]+$' AS has_device_number,
       reason <> '' AS has_reason
  FROM wtsmgr_locations;

-- the device's atomic boundary and write cache, when known
SELECT device_atomic_boundary IS NULL OR device_atomic_boundary >= 0
         AS boundary_sane,
       device_write_cache IS NULL
         OR device_write_cache IN ('write back', 'write through')
         AS write_cache_known
  FROM wtsmgr_locations;

-- the kernel support in the status is what the PGDATA probe found
SELECT s.kernel_writethrough = l.writethrough_ok AS agrees
  FROM wtsmgr_status s, wtsmgr_locations l
 WHERE l.tablespace = 'pg_default';

-- a tablespace created now is allowed (full_page_writes is on) but was
-- not probed at startup
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE wtsmgr_ts LOCATION '';
SELECT count(*) FROM wtsmgr_locations WHERE tablespace <> 'pg_default';
DROP TABLESPACE wtsmgr_ts;
RESET allow_in_place_tablespaces;

-- the views show PGDATA, tablespace paths and devices: pg_monitor only
CREATE ROLE regress_wtsmgr_nobody;
CREATE ROLE regress_wtsmgr_monitor IN ROLE pg_monitor;
SET ROLE regress_wtsmgr_nobody;
SELECT count(*) FROM wtsmgr_locations;
SELECT count(*) FROM wtsmgr_locations();
SELECT count(*) FROM wtsmgr_status;
SELECT count(*) FROM wtsmgr_stats;
RESET ROLE;
SET ROLE regress_wtsmgr_monitor;
SELECT count(*) > 0 AS visible FROM wtsmgr_locations;
SELECT count(*) AS visible FROM wtsmgr_status;
SELECT count(*) >= 0 AS visible FROM wtsmgr_stats;
RESET ROLE;

-- version 1.0 granted them to PUBLIC; the update to 1.1 revokes that,
-- 1.2 adds effective_full_page_writes, 1.3 the asynchronous writes
DROP EXTENSION wtsmgr;
CREATE EXTENSION wtsmgr VERSION '1.0';
-- the library fills the older, shorter rows too
SELECT count(*) >= 0 AS stats_1_0, (SELECT mode IS NOT NULL FROM wtsmgr_status) AS status_1_0
  FROM wtsmgr_stats;
SELECT has_table_privilege('regress_wtsmgr_nobody', 'wtsmgr_locations', 'SELECT');
ALTER EXTENSION wtsmgr UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'wtsmgr';
SELECT has_table_privilege('regress_wtsmgr_nobody', 'wtsmgr_locations', 'SELECT'),
       has_table_privilege('regress_wtsmgr_monitor', 'wtsmgr_locations', 'SELECT');
SELECT has_table_privilege('regress_wtsmgr_nobody', 'wtsmgr_status', 'SELECT'),
       has_table_privilege('regress_wtsmgr_monitor', 'wtsmgr_status', 'SELECT');
SELECT effective_full_page_writes FROM wtsmgr_status;
SELECT async_proven IS NOT NULL AS status_1_3,
       (SELECT count(*) >= 0 FROM wtsmgr_stats WHERE async_inflight = 0) AS stats_1_3
  FROM wtsmgr_status;
DROP ROLE regress_wtsmgr_nobody, regress_wtsmgr_monitor;
