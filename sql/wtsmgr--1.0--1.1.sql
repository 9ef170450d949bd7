/* sql/wtsmgr--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION wtsmgr UPDATE TO '1.1'" to load this file. \quit

-- The device's atomic write boundary (a page that crossed it would not be
-- written atomically) and its write cache mode, from sysfs.
-- For an NVMe namespace, its Identify data (libnvme), in bytes: nvme_report
-- is "ok", or why they are missing (NULL for other devices).
ALTER TYPE wtsmgr_location
  ADD ATTRIBUTE device_atomic_boundary bigint,
  ADD ATTRIBUTE device_write_cache text,
  ADD ATTRIBUTE nvme_report text,
  ADD ATTRIBUTE nvme_awun_bytes bigint,
  ADD ATTRIBUTE nvme_awupf_bytes bigint,
  ADD ATTRIBUTE nvme_nawun_bytes bigint,
  ADD ATTRIBUTE nvme_nawupf_bytes bigint,
  ADD ATTRIBUTE nvme_atomic_boundary_bytes bigint,
  ADD ATTRIBUTE nvme_atomic_boundary_offset bigint,
  ADD ATTRIBUTE nvme_volatile_write_cache boolean;
CREATE OR REPLACE VIEW wtsmgr_locations AS
  SELECT * FROM wtsmgr_locations();

-- The views show PGDATA, tablespace paths and devices: like
-- data_directory, for monitoring roles only, not for everybody.
REVOKE SELECT ON wtsmgr_status, wtsmgr_locations, wtsmgr_stats FROM PUBLIC;
REVOKE ALL ON FUNCTION wtsmgr_status(), wtsmgr_locations(), wtsmgr_stats()
  FROM PUBLIC;
GRANT SELECT ON wtsmgr_status, wtsmgr_locations, wtsmgr_stats TO pg_monitor;
GRANT EXECUTE ON FUNCTION wtsmgr_status(), wtsmgr_locations(), wtsmgr_stats()
  TO pg_monitor;
