-- Generated from cocoevents.warehouse.copyjob: the transaction of one hourly load (example values).
-- The job runs these with bound parameters (%s); COPY takes no parameters, see deploy/README.md.
BEGIN;
LOCK analytics.raw_events_load_log;
SELECT s3_key FROM analytics.raw_events_load_log WHERE bucket = %s AND dt BETWEEN %s AND %s;
-- parameters: 'coco-event-logs-prod', '2026-11-23', '2026-11-25'
CREATE TEMP TABLE coco_stage_raw_events (LIKE analytics.raw_events);
COPY coco_stage_raw_events (event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data)
FROM 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftS3Access'
MANIFEST
FORMAT AS JSON 's3://coco-event-logs-prod/_coco/jsonpaths.json'
TIMEFORMAT 'auto'
GZIP
MAXERROR 0;
SELECT COUNT(*) FROM coco_stage_raw_events;
INSERT INTO analytics.raw_events (event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data, load_manifest, loaded_at) SELECT event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data, CAST(%s AS VARCHAR(1024)), CAST(%s AS TIMESTAMP) FROM coco_stage_raw_events;
-- parameters: 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00'
DROP TABLE coco_stage_raw_events;
INSERT INTO analytics.raw_events_load_log (bucket, s3_key, dt, size_bytes, load_manifest, loaded_at) VALUES (%s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s);
-- parameters: 'coco-event-logs-prod', 'dt=2026-11-24/1764028800-0b7c.log.gz', '2026-11-24', 52311, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00', 'coco-event-logs-prod', 'dt=2026-11-25/1764057600-9f1e.log.gz', '2026-11-25', 48102, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00'
COMMIT;
