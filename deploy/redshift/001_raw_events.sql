-- Generated from cocoevents.warehouse.ddl (`coco warehouse ddl` prints the same); tests/integration/test_deploy.py checks they agree.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.raw_events (
    event         VARCHAR(128),
    event_ts      TIMESTAMP,            -- UTC, from $.timestamp
    delivery_id   VARCHAR(64),
    robot_id      VARCHAR(64),
    pilot_id      VARCHAR(64),
    demand_id     VARCHAR(64),
    offer_id      VARCHAR(64),
    event_data    SUPER,                -- the whole record
    load_manifest VARCHAR(1024),        -- manifest of the run that loaded the row
    loaded_at     TIMESTAMP
)
DISTSTYLE AUTO
COMPOUND SORTKEY (event_ts);
