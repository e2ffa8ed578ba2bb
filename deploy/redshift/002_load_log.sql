-- Generated from cocoevents.warehouse.ddl; one row per S3 object loaded by the COPY job.
CREATE TABLE IF NOT EXISTS analytics.raw_events_load_log (
    bucket        VARCHAR(63)   NOT NULL,
    s3_key        VARCHAR(1024) NOT NULL,
    dt            DATE          NOT NULL,  -- the dt= folder the object was found in
    size_bytes    BIGINT,
    load_manifest VARCHAR(1024) NOT NULL,
    loaded_at     TIMESTAMP     NOT NULL,  -- UTC
    PRIMARY KEY (bucket, s3_key)
);
