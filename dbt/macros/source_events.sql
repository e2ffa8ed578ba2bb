{#
  The one place that reads the source table. Every adapter returns the same columns:

    event_name, ts (TIMESTAMP, UTC, NULL when unusable), delivery_id, robot_id, pilot_id, demand_id, offer_id
    (NULL for absent or empty), record_text (the record as the database serializes it: the dedup key and
    the last tie-break of rule 6), level (lower-cased, only when a JSON string), has_error (a non-null
    `error` field), error_code / error_message (`error.code` / `error.message` when JSON strings).

  duckdb:   coco's local store (`events`: ts, record as JSON text), attached read-only.
  redshift: the warehouse table of the warehouse layout (docs/reference/warehouse-layout.md) (event_ts, event_data SUPER).
  postgres: the same table with event_data JSONB and JSON_SERIALIZE defined over it (the test stand-in).
#}

{% macro coco_source_events(since=none) -%}
  {{ return(adapter.dispatch('coco_source_events', 'coco')(since)) }}
{%- endmacro %}

{# The source's time column, for filters on the source table itself. #}
{% macro coco_source_ts() -%}
  {{ return(adapter.dispatch('coco_source_ts', 'coco')()) }}
{%- endmacro %}

{% macro duckdb__coco_source_ts() -%} ts {%- endmacro %}

{% macro default__coco_source_ts() -%} event_ts {%- endmacro %}

{# `since`: a timestamp expression; then only rows at or after it, and the untimed rows, are read. #}
{% macro coco_source_filter(since) -%}
    {%- if since is not none %} and ({{ coco_source_ts() }} >= {{ since }} or {{ coco_source_ts() }} is null){% endif -%}
{%- endmacro %}

{# The record is parsed once per row: json_extract with a list of paths. #}
{% macro duckdb__coco_source_events(since) -%}
    select
        event_name, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, record_text,
        case when json_type(j[1]) = 'VARCHAR' then lower(j[1] ->> '$') end as level,
        coalesce(json_type(j[2]) <> 'NULL', false) as has_error,
        case when json_type(j[3]) = 'VARCHAR' then j[3] ->> '$' end as error_code,
        case when json_type(j[4]) = 'VARCHAR' then j[4] ->> '$' end as error_message
    from (
        select
            event as event_name,
            ts,
            nullif(delivery_id, '') as delivery_id,
            nullif(robot_id, '') as robot_id,
            nullif(pilot_id, '') as pilot_id,
            nullif(demand_id, '') as demand_id,
            nullif(offer_id, '') as offer_id,
            record as record_text,
            json_extract(record, ['$.level', '$.error', '$.error.code', '$.error.message']) as j
        from {{ source('coco', 'events') }}
        where event is not null{{ coco_source_filter(since) }}
    ) parsed
{%- endmacro %}

{% macro postgres__coco_source_events(since) -%}
    select
        event as event_name,
        event_ts as ts,
        nullif(delivery_id, '') as delivery_id,
        nullif(robot_id, '') as robot_id,
        nullif(pilot_id, '') as pilot_id,
        nullif(demand_id, '') as demand_id,
        nullif(offer_id, '') as offer_id,
        JSON_SERIALIZE(event_data) as record_text,
        case when jsonb_typeof(event_data -> 'level') = 'string' then lower(event_data ->> 'level') end as level,
        coalesce(jsonb_typeof(event_data -> 'error') <> 'null', false) as has_error,
        case when jsonb_typeof(event_data -> 'error' -> 'code') = 'string' then event_data -> 'error' ->> 'code' end as error_code,
        case when jsonb_typeof(event_data -> 'error' -> 'message') = 'string' then event_data -> 'error' ->> 'message' end as error_message
    from {{ source('coco', 'events') }}
    where event is not null{{ coco_source_filter(since) }}
{%- endmacro %}

{# Not executed here (no Redshift): SUPER navigation in lax mode gives NULL for a missing member;
   JSON_TYPEOF names the JSON type ('string', 'null', ...) as PostgreSQL's jsonb_typeof does. #}
{% macro redshift__coco_source_events(since) -%}
    select
        event as event_name,
        event_ts as ts,
        nullif(delivery_id, '') as delivery_id,
        nullif(robot_id, '') as robot_id,
        nullif(pilot_id, '') as pilot_id,
        nullif(demand_id, '') as demand_id,
        nullif(offer_id, '') as offer_id,
        JSON_SERIALIZE(event_data) as record_text,
        case when JSON_TYPEOF(event_data."level") = 'string' then lower(event_data."level"::varchar) end as level,
        coalesce(JSON_TYPEOF(event_data."error") <> 'null', false) as has_error,
        case when JSON_TYPEOF(event_data."error"."code") = 'string' then event_data."error"."code"::varchar end as error_code,
        case when JSON_TYPEOF(event_data."error"."message") = 'string' then event_data."error"."message"::varchar end as error_message
    from {{ source('coco', 'events') }}
    where event is not null{{ coco_source_filter(since) }}
{%- endmacro %}


{# Microseconds since the epoch of a UTC TIMESTAMP, as BIGINT: all window arithmetic is on integers. #}
{% macro coco_epoch_us(ts) -%}
  {{ return(adapter.dispatch('coco_epoch_us', 'coco')(ts)) }}
{%- endmacro %}

{% macro duckdb__coco_epoch_us(ts) -%} epoch_us({{ ts }}) {%- endmacro %}

{% macro postgres__coco_epoch_us(ts) -%} cast(extract(epoch from {{ ts }}) * 1000000 as bigint) {%- endmacro %}

{% macro redshift__coco_epoch_us(ts) -%} datediff(microsecond, timestamp '1970-01-01 00:00:00', {{ ts }}) {%- endmacro %}


{# Seconds of a microsecond difference, as Python's `us / 1e6` (IEEE double: dbt.type_float() is a 4-byte
   float on DuckDB). #}
{% macro coco_seconds(us) -%}
    cast({{ us }} as double precision) / cast(1000000 as double precision)
{%- endmacro %}
