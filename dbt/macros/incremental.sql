{#
  Incremental runs, by day. A run refreshes the event days from `coco_day - coco_days_back` on (staging),
  and recomputes, from all events, every delivery with a direct event since that day started (the other
  models). Full refresh (`--full-refresh`) recomputes everything and is always exact; an event that
  arrives for an older delivery (a late archive file, a demand event days after its delivery) needs one.
#}

{% macro coco_incremental_from(relation, ts_column) -%}
    {%- set day = var('coco_day', none) -%}
    {%- set back = var('coco_days_back', 1) | int -%}
    {%- if day -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day | string) -%}
            {{ exceptions.raise_compiler_error("coco_day must be a date like 2026-11-25, not " ~ day) }}
        {%- endif -%}
        {{ dbt.dateadd('day', -back, "cast('" ~ day ~ "' as timestamp)") }}
    {%- else -%}
        {{ dbt.dateadd('day', -back, "(select cast(cast(max(" ~ ts_column ~ ") as date) as timestamp) from " ~ relation ~ ")") }}
    {%- endif -%}
{%- endmacro %}

{# The deliveries an incremental run recomputes (see above). #}
{% macro coco_affected_deliveries() -%}
    select distinct delivery_id
    from {{ ref('stg_events') }}
    where delivery_id is not null
      and ts >= {{ coco_incremental_from(ref('stg_events'), 'ts') }}
{%- endmacro %}

{# A filter on `column` (a delivery id) that keeps only the affected deliveries in an incremental run. #}
{% macro coco_only_affected(column) -%}
    {%- if is_incremental() -%}
        {{ column }} in ({{ coco_affected_deliveries() }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the per-delivery models: an incremental run first deletes the affected deliveries' rows, so a
    delivery whose recomputed rows are fewer (a pilot window that no longer exists) keeps no stale ones. -#}
{% macro coco_delete_affected() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ coco_only_affected('delivery_id') }}
    {%- endif -%}
{%- endmacro %}
