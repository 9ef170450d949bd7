--
-- wtsmgr_stats: counters of the write path, per backend type
--
\d wtsmgr_stats

SELECT wtsmgr_stats_reset();
SELECT now() AS t0 \gset

-- Enough data for the backend to write pages itself (the bulk-write ring
-- is 16 MB) and for new WAL segments to be created, then a checkpoint.
CREATE TABLE wtsmgr_t AS
  SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 60000) AS g;
CHECKPOINT;

-- the client backend and the checkpointer wrote data pages through us;
-- how depends on the kernel, so only the sum is checked
SELECT backend_type,
       atomic_writes + writethrough_writes + passthrough_writes > 0
         AS wrote_pages,
       atomic_bytes + writethrough_bytes + passthrough_bytes >=
         8192 * atomic_writes AS bytes_cover_pages,
       atomic_failures AS atomic_failures,
       stats_reset >= :'t0'::timestamptz - interval '1 second' AS reset_seen
  FROM wtsmgr_stats
 WHERE backend_type IN ('client backend', 'checkpointer')
 ORDER BY backend_type;

-- nothing is asynchronous in writethrough mode, and nothing in flight
SELECT sum(async_writes) AS async_writes, sum(async_refused) AS refused,
       sum(async_inflight) AS inflight, max(async_inflight_peak) AS peak
  FROM wtsmgr_stats;

-- new WAL segments were counted, by write-zeroes or by the fallback
SELECT sum(wal_segments_write_zeroes + wal_segments_fallback) > 0
         AS wal_segments_counted
  FROM wtsmgr_stats;

-- reset: the counters drop (background processes may write again at once)
CREATE TEMP TABLE wtsmgr_before AS
  SELECT sum(atomic_writes + writethrough_writes + passthrough_writes)
           AS writes
    FROM wtsmgr_stats;
SELECT wtsmgr_stats_reset();
SELECT coalesce(sum(atomic_writes + writethrough_writes + passthrough_writes),
                0) < (SELECT writes FROM wtsmgr_before) AS dropped
  FROM wtsmgr_stats;

DROP TABLE wtsmgr_t;
DROP EXTENSION wtsmgr;
