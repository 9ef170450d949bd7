--
-- wtsmgr configuration parameters
--
CREATE EXTENSION wtsmgr;

SHOW wtsmgr.mode;
SHOW wtsmgr.full_page_writes;
SHOW wtsmgr.wal_write_zeroes;
SHOW wtsmgr.async_writes;
SHOW wtsmgr.max_inflight_writes;

-- mode and full_page_writes policy are fixed at server start
SET wtsmgr.mode = 'off';
SET wtsmgr.full_page_writes = 'keep';
-- wal_write_zeroes and async_writes can change on reload only,
-- max_inflight_writes at server start
SET wtsmgr.wal_write_zeroes = off;
SET wtsmgr.async_writes = off;
SET wtsmgr.max_inflight_writes = 4;
-- the fault injection is for superusers, and the value must exist
SET wtsmgr.inject_async_fault = 'sometimes';

-- unknown values are rejected, with the valid ones as a hint
ALTER SYSTEM SET wtsmgr.mode = 'fast';
ALTER SYSTEM SET wtsmgr.mode = '';
ALTER SYSTEM SET wtsmgr.full_page_writes = 'never';
ALTER SYSTEM SET wtsmgr.wal_write_zeroes = 'maybe';
ALTER SYSTEM SET wtsmgr.async_writes = 'some';
ALTER SYSTEM SET wtsmgr.max_inflight_writes = 0;
ALTER SYSTEM SET wtsmgr.max_inflight_writes = 257;

-- the wtsmgr prefix is reserved
SET wtsmgr.no_such_parameter = 1;

-- full_page_writes cannot be turned off while atomic writes are not
-- proven (this instance runs wtsmgr.mode = writethrough); the detail
-- depends on the kernel
\set VERBOSITY terse
ALTER SYSTEM SET full_page_writes = off;
ALTER SYSTEM SET full_page_writes = false;
\set VERBOSITY default
-- turning it on is always allowed
ALTER SYSTEM SET full_page_writes = on;
ALTER SYSTEM RESET full_page_writes;
SHOW full_page_writes;
