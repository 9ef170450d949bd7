--
-- wtsmgr_probe: probing a location on demand, and bad locations
--

-- relative paths are refused
SELECT * FROM wtsmgr_probe('relative/dir');
SELECT * FROM wtsmgr_probe('');
-- NULL in, NULL out
SELECT wtsmgr_probe(NULL) IS NULL AS is_null;

-- the probe returns the same row type as wtsmgr_locations, without a
-- tablespace
SELECT pg_typeof(wtsmgr_probe('/nonexistent/wtsmgr')) AS row_type,
       (wtsmgr_probe('/nonexistent/wtsmgr')).tablespace IS NULL
         AS no_tablespace;

-- a missing directory
SELECT path, device, file_created, writethrough_ok, atomic_ok, probe_ok,
       reason
  FROM wtsmgr_probe('/nonexistent/wtsmgr');

-- a file, not a directory
SELECT file_created, probe_ok, reason
  FROM wtsmgr_probe(current_setting('data_directory') || '/PG_VERSION');

-- a directory the server cannot write to
SELECT file_created, probe_ok,
       reason ~ '^could not create probe file ".*": Permission denied$'
         AS permission_denied
  FROM wtsmgr_probe('/');

-- PGDATA: the probe file is created and removed again, and the result
-- matches the startup probe
SELECT p.file_created,
       p.writethrough_ok = l.writethrough_ok AS same_writethrough,
       p.atomic_ok = l.atomic_ok AS same_atomic,
       p.probe_ok = l.probe_ok AS same_result,
       p.device_number = l.device_number AS same_device
  FROM wtsmgr_probe(current_setting('data_directory')) p,
       wtsmgr_locations l
 WHERE l.tablespace = 'pg_default';
SELECT count(*) AS probe_files_left
  FROM pg_ls_dir('.') AS f
 WHERE f LIKE 'pgsql_tmp_wtsmgr_probe%';

-- only superusers may probe (it writes files) or reset the statistics
CREATE ROLE wtsmgr_regress_user;
SET ROLE wtsmgr_regress_user;
SELECT * FROM wtsmgr_probe('/tmp');
SELECT wtsmgr_stats_reset();
-- nor look, without pg_monitor (see wtsmgr_status)
SELECT count(*) > 0 AS can_read FROM wtsmgr_status;
RESET ROLE;
DROP ROLE wtsmgr_regress_user;
