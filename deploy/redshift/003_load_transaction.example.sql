-- Generated from cocoevents.warehouse.copyjob: the transaction of one hourly load (example values:
-- two gzip objects and one zstd object, so one manifest and one COPY per compression).
-- The job runs these with bound parameters (%s); COPY takes no parameters, see deploy/README.md.
BEGIN;
LOCK analytics.raw_events_load_log;
SELECT s3_key FROM analytics.raw_events_load_log WHERE bucket = %s AND dt BETWEEN %s AND %s;
-- parameters: 'coco-event-logs-prod', '2026-11-23', '2026-11-25'
CREATE TABLE IF NOT EXISTS analytics.event_bounds (
    kind          VARCHAR(8)  NOT NULL,  -- delivery | robot | pilot | demand | offer: the id's column
    id            VARCHAR(64) NOT NULL,
    first_ts      TIMESTAMP   NOT NULL,  -- UTC: the earliest event_ts of the rows carrying the id
    last_ts       TIMESTAMP   NOT NULL,  -- UTC: the latest
    PRIMARY KEY (kind, id)
);
CREATE TEMP TABLE coco_stage_raw_events (rec SUPER);
CREATE TEMP TABLE coco_bounds_raw_events (kind VARCHAR(8), id VARCHAR(64), first_ts TIMESTAMP, last_ts TIMESTAMP);
COPY coco_stage_raw_events
FROM 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftS3Access'
MANIFEST
FORMAT JSON 'noshred'
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
               CASE WHEN ts_type = 'string' AND LENGTH(ts_raw) <= 64
                         AND ts_raw ~ '^[[:space:]]*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])([.,]([0-9]+))?)?[[:space:]]*([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?[[:space:]]*$'
                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')
               END AS iso,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}$'
                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$'
                    THEN CAST(ts_raw AS DOUBLE PRECISION) END AS ts_float
        FROM (SELECT CASE WHEN JSON_TYPEOF(staged.rec."event") = 'string' THEN CAST(staged.rec."event" AS VARCHAR(65535)) END AS event,
               CASE WHEN JSON_TYPEOF(staged.rec."delivery_id") = 'string' THEN CAST(staged.rec."delivery_id" AS VARCHAR(65535)) END AS delivery_id,
               CASE WHEN JSON_TYPEOF(staged.rec."robot_id") = 'string' THEN CAST(staged.rec."robot_id" AS VARCHAR(65535)) END AS robot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."pilot_id") = 'string' THEN CAST(staged.rec."pilot_id" AS VARCHAR(65535)) END AS pilot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."demand_id") = 'string' THEN CAST(staged.rec."demand_id" AS VARCHAR(65535)) END AS demand_id,
               CASE WHEN JSON_TYPEOF(staged.rec."offer_id") = 'string' THEN CAST(staged.rec."offer_id" AS VARCHAR(65535)) END AS offer_id,
               JSON_TYPEOF(staged.rec."timestamp") AS ts_type,
               CASE WHEN JSON_TYPEOF(staged.rec."timestamp") = 'string' THEN CAST(staged.rec."timestamp" AS VARCHAR(65535))
                    WHEN JSON_TYPEOF(staged.rec."timestamp") = 'number' THEN JSON_SERIALIZE(staged.rec."timestamp") END AS ts_raw,
               staged.rec AS event_data
        FROM coco_stage_raw_events staged) s0) s1) s2) s3) typed;
-- parameters: 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00'
INSERT INTO coco_bounds_raw_events (kind, id, first_ts, last_ts)
SELECT kind, id, MIN(event_ts) AS first_ts, MAX(event_ts) AS last_ts
FROM (SELECT k.kind, CASE k.kind WHEN 'delivery' THEN r.delivery_id WHEN 'robot' THEN r.robot_id WHEN 'pilot' THEN r.pilot_id WHEN 'demand' THEN r.demand_id WHEN 'offer' THEN r.offer_id END AS id, r.event_ts
      FROM (SELECT event_ts, CASE WHEN OCTET_LENGTH(delivery_id) <= 64 THEN NULLIF(delivery_id, '') END AS delivery_id, CASE WHEN OCTET_LENGTH(robot_id) <= 64 THEN NULLIF(robot_id, '') END AS robot_id, CASE WHEN OCTET_LENGTH(pilot_id) <= 64 THEN NULLIF(pilot_id, '') END AS pilot_id, CASE WHEN OCTET_LENGTH(demand_id) <= 64 THEN NULLIF(demand_id, '') END AS demand_id, CASE WHEN OCTET_LENGTH(offer_id) <= 64 THEN NULLIF(offer_id, '') END AS offer_id FROM (SELECT event, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data,
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
               CASE WHEN ts_type = 'string' AND LENGTH(ts_raw) <= 64
                         AND ts_raw ~ '^[[:space:]]*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])([.,]([0-9]+))?)?[[:space:]]*([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?[[:space:]]*$'
                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')
               END AS iso,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}$'
                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$'
                    THEN CAST(ts_raw AS DOUBLE PRECISION) END AS ts_float
        FROM (SELECT CASE WHEN JSON_TYPEOF(staged.rec."event") = 'string' THEN CAST(staged.rec."event" AS VARCHAR(65535)) END AS event,
               CASE WHEN JSON_TYPEOF(staged.rec."delivery_id") = 'string' THEN CAST(staged.rec."delivery_id" AS VARCHAR(65535)) END AS delivery_id,
               CASE WHEN JSON_TYPEOF(staged.rec."robot_id") = 'string' THEN CAST(staged.rec."robot_id" AS VARCHAR(65535)) END AS robot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."pilot_id") = 'string' THEN CAST(staged.rec."pilot_id" AS VARCHAR(65535)) END AS pilot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."demand_id") = 'string' THEN CAST(staged.rec."demand_id" AS VARCHAR(65535)) END AS demand_id,
               CASE WHEN JSON_TYPEOF(staged.rec."offer_id") = 'string' THEN CAST(staged.rec."offer_id" AS VARCHAR(65535)) END AS offer_id,
               JSON_TYPEOF(staged.rec."timestamp") AS ts_type,
               CASE WHEN JSON_TYPEOF(staged.rec."timestamp") = 'string' THEN CAST(staged.rec."timestamp" AS VARCHAR(65535))
                    WHEN JSON_TYPEOF(staged.rec."timestamp") = 'number' THEN JSON_SERIALIZE(staged.rec."timestamp") END AS ts_raw,
               staged.rec AS event_data
        FROM coco_stage_raw_events staged) s0) s1) s2) s3) typed) r CROSS JOIN (SELECT 'delivery' AS kind UNION ALL SELECT 'robot' AS kind UNION ALL SELECT 'pilot' AS kind UNION ALL SELECT 'demand' AS kind UNION ALL SELECT 'offer' AS kind) k
      WHERE r.event_ts IS NOT NULL) ids
WHERE id IS NOT NULL
GROUP BY kind, id;
DELETE FROM coco_stage_raw_events;
COPY coco_stage_raw_events
FROM 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.zstd.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftS3Access'
MANIFEST
FORMAT JSON 'noshred'
ZSTD
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
               CASE WHEN ts_type = 'string' AND LENGTH(ts_raw) <= 64
                         AND ts_raw ~ '^[[:space:]]*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])([.,]([0-9]+))?)?[[:space:]]*([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?[[:space:]]*$'
                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')
               END AS iso,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}$'
                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$'
                    THEN CAST(ts_raw AS DOUBLE PRECISION) END AS ts_float
        FROM (SELECT CASE WHEN JSON_TYPEOF(staged.rec."event") = 'string' THEN CAST(staged.rec."event" AS VARCHAR(65535)) END AS event,
               CASE WHEN JSON_TYPEOF(staged.rec."delivery_id") = 'string' THEN CAST(staged.rec."delivery_id" AS VARCHAR(65535)) END AS delivery_id,
               CASE WHEN JSON_TYPEOF(staged.rec."robot_id") = 'string' THEN CAST(staged.rec."robot_id" AS VARCHAR(65535)) END AS robot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."pilot_id") = 'string' THEN CAST(staged.rec."pilot_id" AS VARCHAR(65535)) END AS pilot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."demand_id") = 'string' THEN CAST(staged.rec."demand_id" AS VARCHAR(65535)) END AS demand_id,
               CASE WHEN JSON_TYPEOF(staged.rec."offer_id") = 'string' THEN CAST(staged.rec."offer_id" AS VARCHAR(65535)) END AS offer_id,
               JSON_TYPEOF(staged.rec."timestamp") AS ts_type,
               CASE WHEN JSON_TYPEOF(staged.rec."timestamp") = 'string' THEN CAST(staged.rec."timestamp" AS VARCHAR(65535))
                    WHEN JSON_TYPEOF(staged.rec."timestamp") = 'number' THEN JSON_SERIALIZE(staged.rec."timestamp") END AS ts_raw,
               staged.rec AS event_data
        FROM coco_stage_raw_events staged) s0) s1) s2) s3) typed;
-- parameters: 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.zstd.manifest', '2026-11-25T11:00:00'
INSERT INTO coco_bounds_raw_events (kind, id, first_ts, last_ts)
SELECT kind, id, MIN(event_ts) AS first_ts, MAX(event_ts) AS last_ts
FROM (SELECT k.kind, CASE k.kind WHEN 'delivery' THEN r.delivery_id WHEN 'robot' THEN r.robot_id WHEN 'pilot' THEN r.pilot_id WHEN 'demand' THEN r.demand_id WHEN 'offer' THEN r.offer_id END AS id, r.event_ts
      FROM (SELECT event_ts, CASE WHEN OCTET_LENGTH(delivery_id) <= 64 THEN NULLIF(delivery_id, '') END AS delivery_id, CASE WHEN OCTET_LENGTH(robot_id) <= 64 THEN NULLIF(robot_id, '') END AS robot_id, CASE WHEN OCTET_LENGTH(pilot_id) <= 64 THEN NULLIF(pilot_id, '') END AS pilot_id, CASE WHEN OCTET_LENGTH(demand_id) <= 64 THEN NULLIF(demand_id, '') END AS demand_id, CASE WHEN OCTET_LENGTH(offer_id) <= 64 THEN NULLIF(offer_id, '') END AS offer_id FROM (SELECT event, delivery_id, robot_id, pilot_id, demand_id, offer_id, event_data,
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
               CASE WHEN ts_type = 'string' AND LENGTH(ts_raw) <= 64
                         AND ts_raw ~ '^[[:space:]]*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])([.,]([0-9]+))?)?[[:space:]]*([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?[[:space:]]*$'
                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')
               END AS iso,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}$'
                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,
               CASE WHEN ts_type = 'number' AND ts_raw ~ '^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$'
                    THEN CAST(ts_raw AS DOUBLE PRECISION) END AS ts_float
        FROM (SELECT CASE WHEN JSON_TYPEOF(staged.rec."event") = 'string' THEN CAST(staged.rec."event" AS VARCHAR(65535)) END AS event,
               CASE WHEN JSON_TYPEOF(staged.rec."delivery_id") = 'string' THEN CAST(staged.rec."delivery_id" AS VARCHAR(65535)) END AS delivery_id,
               CASE WHEN JSON_TYPEOF(staged.rec."robot_id") = 'string' THEN CAST(staged.rec."robot_id" AS VARCHAR(65535)) END AS robot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."pilot_id") = 'string' THEN CAST(staged.rec."pilot_id" AS VARCHAR(65535)) END AS pilot_id,
               CASE WHEN JSON_TYPEOF(staged.rec."demand_id") = 'string' THEN CAST(staged.rec."demand_id" AS VARCHAR(65535)) END AS demand_id,
               CASE WHEN JSON_TYPEOF(staged.rec."offer_id") = 'string' THEN CAST(staged.rec."offer_id" AS VARCHAR(65535)) END AS offer_id,
               JSON_TYPEOF(staged.rec."timestamp") AS ts_type,
               CASE WHEN JSON_TYPEOF(staged.rec."timestamp") = 'string' THEN CAST(staged.rec."timestamp" AS VARCHAR(65535))
                    WHEN JSON_TYPEOF(staged.rec."timestamp") = 'number' THEN JSON_SERIALIZE(staged.rec."timestamp") END AS ts_raw,
               staged.rec AS event_data
        FROM coco_stage_raw_events staged) s0) s1) s2) s3) typed) r CROSS JOIN (SELECT 'delivery' AS kind UNION ALL SELECT 'robot' AS kind UNION ALL SELECT 'pilot' AS kind UNION ALL SELECT 'demand' AS kind UNION ALL SELECT 'offer' AS kind) k
      WHERE r.event_ts IS NOT NULL) ids
WHERE id IS NOT NULL
GROUP BY kind, id;
DROP TABLE coco_stage_raw_events;
INSERT INTO coco_bounds_raw_events (kind, id, first_ts, last_ts) SELECT b.kind, b.id, b.first_ts, b.last_ts FROM analytics.event_bounds b JOIN (SELECT DISTINCT kind, id FROM coco_bounds_raw_events) n ON b.kind = n.kind AND b.id = n.id;
DELETE FROM analytics.event_bounds USING coco_bounds_raw_events WHERE event_bounds.kind = coco_bounds_raw_events.kind AND event_bounds.id = coco_bounds_raw_events.id;
INSERT INTO analytics.event_bounds (kind, id, first_ts, last_ts) SELECT kind, id, MIN(first_ts), MAX(last_ts) FROM coco_bounds_raw_events GROUP BY kind, id;
DROP TABLE coco_bounds_raw_events;
CREATE TABLE IF NOT EXISTS analytics.delivery_baseline (
    a            VARCHAR(128)     NOT NULL,  -- step A (event name)
    b            VARCHAR(128)     NOT NULL,  -- the next step B
    n            BIGINT           NOT NULL,  -- transitions A -> B seen
    p50          DOUBLE PRECISION NOT NULL,  -- seconds
    p95          DOUBLE PRECISION NOT NULL,
    p99          DOUBLE PRECISION NOT NULL,
    since        TIMESTAMP        NOT NULL,  -- UTC: the events counted start here
    refreshed_at TIMESTAMP        NOT NULL   -- UTC
);
DELETE FROM analytics.delivery_baseline;
INSERT INTO analytics.delivery_baseline (a, b, n, p50, p95, p99, since, refreshed_at) SELECT a, b, n, p50, p95, p99, CAST(%s AS TIMESTAMP), CAST(%s AS TIMESTAMP) FROM (SELECT a, b, COUNT(*) AS n, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY d) AS p50, PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY d) AS p95, PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY d) AS p99 FROM (SELECT LAG(event) OVER (PARTITION BY delivery_id ORDER BY event_ts, pos, event) AS a, event AS b, CAST(DATEDIFF('microsecond', LAG(event_ts) OVER (PARTITION BY delivery_id ORDER BY event_ts, pos, event), event_ts) AS DOUBLE PRECISION) / 1000000 AS d FROM (SELECT DISTINCT delivery_id, event, event_ts, CASE event WHEN %s THEN 0 WHEN %s THEN 1 WHEN %s THEN 2 WHEN %s THEN 3 WHEN %s THEN 4 WHEN %s THEN 5 WHEN %s THEN 6 WHEN %s THEN 7 WHEN %s THEN 8 WHEN %s THEN 9 WHEN %s THEN 10 WHEN %s THEN 11 WHEN %s THEN 12 WHEN %s THEN 13 WHEN %s THEN 14 WHEN %s THEN 15 WHEN %s THEN 16 WHEN %s THEN 17 WHEN %s THEN 18 WHEN %s THEN 19 WHEN %s THEN 20 WHEN %s THEN 21 WHEN %s THEN 22 WHEN %s THEN 23 WHEN %s THEN 24 WHEN %s THEN 25 WHEN %s THEN 26 WHEN %s THEN 27 WHEN %s THEN 28 WHEN %s THEN 29 WHEN %s THEN 30 WHEN %s THEN 31 WHEN %s THEN 32 WHEN %s THEN 33 WHEN %s THEN 34 WHEN %s THEN 35 WHEN %s THEN 36 ELSE 37 END AS pos FROM analytics.raw_events WHERE delivery_id IS NOT NULL AND delivery_id <> '' AND event IS NOT NULL AND event_ts IS NOT NULL AND event_ts >= %s) steps) pairs WHERE a IS NOT NULL GROUP BY a, b) baseline;
-- parameters: '2026-10-28T11:00:00', '2026-11-25T11:00:00', 'offer.received', 'offer.accepted', 'offer.rejected', 'offer.expired', 'quote.requested', 'quote.provided', 'robot.state_changed', 'robot.deployed', 'robot.parked', 'robot.grounded', 'robot.off_duty', 'demand.created', 'demand.assigned', 'demand.active', 'demand.fulfilled', 'demand.canceled', 'demand.etas_updated', 'trip.created', 'trip.assigned', 'trip.started', 'trip.completed', 'trip.canceled', 'pilot.shift_started', 'pilot.shift_ended', 'pilot.assignment_started', 'pilot.assignment_ended', 'delivery.pickup_arrival', 'delivery.pickup_started', 'delivery.pickup_completed', 'delivery.dropoff_arrival', 'delivery.dropoff_started', 'delivery.dropoff_completed', 'delivery.failed', 'attempt.started', 'attempt.completed', 'attempt.failed', 'attempt.rescued', '2026-10-28T11:00:00'
INSERT INTO analytics.raw_events_load_log (bucket, s3_key, dt, size_bytes, load_manifest, loaded_at) VALUES (%s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s);
-- parameters: 'coco-event-logs-prod', 'dt=2026-11-24/1764028800-0b7c.log.gz', '2026-11-24', 52311, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00', 'coco-event-logs-prod', 'dt=2026-11-25/1764057600-9f1e.log.gz', '2026-11-25', 48102, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.manifest', '2026-11-25T11:00:00', 'coco-event-logs-prod', 'dt=2026-11-25/1764061200-4c2d.log.zst', '2026-11-25', 39877, 's3://coco-event-logs-prod/_coco/manifests/20261125T110000Z-1a2b3c4d.zstd.manifest', '2026-11-25T11:00:00'
COMMIT;
