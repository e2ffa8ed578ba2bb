-- Generated from cocoevents.warehouse.ddl: the id -> time-bounds table the COPY job keeps (per kind of
-- id and id, the first and last event_ts of its rows), filled from every row already loaded. Run it once
-- when deploying a job that keeps the table (it may run again: it rebuilds the table whole).
BEGIN;
LOCK analytics.raw_events_load_log;
CREATE TABLE IF NOT EXISTS analytics.event_bounds (
    kind          VARCHAR(8)  NOT NULL,  -- delivery | robot | pilot | demand | offer: the id's column
    id            VARCHAR(64) NOT NULL,
    first_ts      TIMESTAMP   NOT NULL,  -- UTC: the earliest event_ts of the rows carrying the id
    last_ts       TIMESTAMP   NOT NULL,  -- UTC: the latest
    PRIMARY KEY (kind, id)
);
DELETE FROM analytics.event_bounds;
INSERT INTO analytics.event_bounds (kind, id, first_ts, last_ts)
SELECT kind, id, MIN(event_ts) AS first_ts, MAX(event_ts) AS last_ts
FROM (SELECT k.kind, CASE k.kind WHEN 'delivery' THEN r.delivery_id WHEN 'robot' THEN r.robot_id WHEN 'pilot' THEN r.pilot_id WHEN 'demand' THEN r.demand_id WHEN 'offer' THEN r.offer_id END AS id, r.event_ts
      FROM (SELECT event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id FROM analytics.raw_events) r CROSS JOIN (SELECT 'delivery' AS kind UNION ALL SELECT 'robot' AS kind UNION ALL SELECT 'pilot' AS kind UNION ALL SELECT 'demand' AS kind UNION ALL SELECT 'offer' AS kind) k
      WHERE r.event_ts IS NOT NULL) ids
WHERE id IS NOT NULL
GROUP BY kind, id;
COMMIT;
