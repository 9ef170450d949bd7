/* sql/wtsmgr--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION wtsmgr UPDATE TO '1.1'" to load this file. \quit

-- The views show PGDATA, tablespace paths and devices: like
-- data_directory, for monitoring roles only, not for everybody.
REVOKE SELECT ON wtsmgr_status, wtsmgr_locations, wtsmgr_stats FROM PUBLIC;
REVOKE ALL ON FUNCTION wtsmgr_status(), wtsmgr_locations(), wtsmgr_stats()
  FROM PUBLIC;
GRANT SELECT ON wtsmgr_status, wtsmgr_locations, wtsmgr_stats TO pg_monitor;
GRANT EXECUTE ON FUNCTION wtsmgr_status(), wtsmgr_locations(), wtsmgr_stats()
  TO pg_monitor;
