-- Generated from cocoevents.warehouse.copyjob: the transaction of one hourly load (example values).
-- The job runs these with bound parameters (%s); COPY takes no parameters, see deploy/README.md.
BEGIN;
LOCK analytics.raw_events_load_log;
SELECT s3_key FROM analytics.raw_events_load_log WHERE bucket = %s AND dt BETWEEN %s AND %s;
-- parameters: 'coco-event-logs-prod', '2026-11-23', '2026-11-25'
CREATE TEMP TABLE coco_stage_raw_events (
    event         VARCHAR(65535),
    ts_raw        VARCHAR(256),
    ts_json       SUPER,
    delivery_id   VARCHAR(65535),
    robot_id      VARCHAR(65535),
    pilot_id      VARCHAR(65535),
    demand_id     VARCHAR(65535),
    offer_id      VARCHAR(65535),
    event_data    SUPER
);
COPY coco_stage_raw_events (event, ts_raw, ts_json, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data)
FROM 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftS3Access'
MANIFEST
FORMAT AS JSON 's3://coco-event-logs-prod/_coco/jsonpaths.json'
TRUNCATECOLUMNS
GZIP
MAXERROR 0;
SELECT COUNT(*) FROM coco_stage_raw_events;
INSERT INTO analytics.raw_events (event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data, load_manifest, loaded_at)
SELECT CASE WHEN OCTET_LENGTH(event) <= 128 THEN event END,
       event_ts,
       CASE WHEN OCTET_LENGTH(delivery_id) <= 64 THEN NULLIF(delivery_id, '') END,
       CASE WHEN OCTET_LENGTH(robot_id) <= 64 THEN NULLIF(robot_id, '') END,
       CASE WHEN OCTET_LENGTH(pilot_id) <= 64 THEN NULLIF(pilot_id, '') END,
       CASE WHEN OCTET_LENGTH(demand_id) <= 64 THEN NULLIF(demand_id, '') END,
       CASE WHEN OCTET_LENGTH(offer_id) <= 64 THEN NULLIF(offer_id, '') END,
       event_data, CAST(%s AS VARCHAR(1024)), CAST(%s AS TIMESTAMP)
FROM (SELECT event, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data,
        CASE WHEN us BETWEEN -62135596800000000 AND 253402300799999999
             THEN TIMESTAMP 'epoch' + (us / 1000000) * INTERVAL '1 second' + MOD(us, 1000000) * INTERVAL '1 microsecond'
             WHEN local_ts - off_min * INTERVAL '1 minute' BETWEEN TIMESTAMP '0001-01-01 00:00:00' AND TIMESTAMP '9999-12-31 23:59:59.999999' THEN local_ts - off_min * INTERVAL '1 minute'
        END AS event_ts
 FROM (SELECT s2.*,
               CASE WHEN tz IS NULL OR tz IN ('Z', 'z') THEN 0
                    ELSE CASE WHEN SUBSTRING(tz, 1, 1) = '-' THEN -1 ELSE 1 END
                         * (CAST(SUBSTRING(tz, 2, 2) AS INTEGER) * 60
                            + CAST(COALESCE(NULLIF(SUBSTRING(REPLACE(tz, ':', ''), 4, 2), ''), '0') AS INTEGER))
               END AS off_min,
               CASE WHEN iso IS NOT NULL THEN
                   CASE WHEN y >= 1 AND mo BETWEEN 1 AND 12 AND d BETWEEN 1 AND CASE WHEN mo = 2 THEN CASE WHEN (MOD(y, 4) = 0 AND (MOD(y, 100) <> 0 OR MOD(y, 400) = 0)) THEN 29 ELSE 28 END WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END
                        THEN CAST(SUBSTRING(iso, 1, 10) || ' ' || SUBSTRING(iso, 12, 5) || ':' || secs || '.' || frac AS TIMESTAMP) END
               END AS local_ts
        FROM (SELECT s1.*,
               CAST(SUBSTRING(iso, 1, 4) AS INTEGER) AS y,
               CAST(SUBSTRING(iso, 6, 2) AS INTEGER) AS mo,
               CAST(SUBSTRING(iso, 9, 2) AS INTEGER) AS d,
               CASE WHEN SUBSTRING(iso, 17, 1) = ':' THEN SUBSTRING(iso, 18, 2) ELSE '00' END AS secs,
               RPAD(COALESCE(SUBSTRING(NULLIF(REGEXP_SUBSTR(SUBSTRING(iso, 17, 64), '^:[0-9]{2}[.,][0-9]+'), ''), 5, 6), ''), 6, '0') AS frac,
               NULLIF(REGEXP_SUBSTR(iso, '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'), '') AS tz,
               CASE WHEN ts_int < 100000000000
                    THEN CASE WHEN ts_int >= -62135596800 THEN ts_int * 1000000 END
                    WHEN ts_int <= 253402300799999 THEN ts_int * 1000
                    WHEN ts_float IS NOT NULL THEN CASE
                         WHEN FLOOR(ts_float * CASE WHEN ts_float < CAST(100000000000 AS DOUBLE PRECISION) THEN CAST(1000000 AS DOUBLE PRECISION) ELSE CAST(1000 AS DOUBLE PRECISION) END + CAST(0.5 AS DOUBLE PRECISION)) BETWEEN CAST(-62135596800000000 AS DOUBLE PRECISION) AND CAST(253402300800000000 AS DOUBLE PRECISION)
                         THEN CAST(FLOOR(ts_float * CASE WHEN ts_float < CAST(100000000000 AS DOUBLE PRECISION) THEN CAST(1000000 AS DOUBLE PRECISION) ELSE CAST(1000 AS DOUBLE PRECISION) END + CAST(0.5 AS DOUBLE PRECISION)) AS BIGINT) END
               END AS us
        FROM (SELECT event, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data,
               CASE WHEN JSON_TYPEOF(ts_json) = 'string' AND LENGTH(ts_raw) <= 64
                         AND ts_raw ~ '^[[:space:]]*[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]+)?)?[[:space:]]*([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?[[:space:]]*$'
                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')
               END AS iso,
               CASE WHEN JSON_TYPEOF(ts_json) = 'number' AND ts_raw ~ '^-?[0-9]{1,18}$'
                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,
               CASE WHEN JSON_TYPEOF(ts_json) = 'number' AND ts_raw ~ '^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$'
                    THEN CAST(ts_raw AS DOUBLE PRECISION) END AS ts_float
        FROM coco_stage_raw_events) s1) s2) s3) typed;
-- parameters: 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00'
DROP TABLE coco_stage_raw_events;
INSERT INTO analytics.raw_events_load_log (bucket, s3_key, dt, size_bytes, load_manifest, loaded_at) VALUES (%s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s);
-- parameters: 'coco-event-logs-prod', 'dt=2026-11-24/1764028800-0b7c.log.gz', '2026-11-24', 52311, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00', 'coco-event-logs-prod', 'dt=2026-11-25/1764057600-9f1e.log.gz', '2026-11-25', 48102, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00'
COMMIT;
