{{ config(unique_key='event_day', incremental_strategy='delete+insert') }}

{#- One row per distinct event (rule 7): the stored rows with the same record text are one event,
    `copies` counts them. Incremental by event day: a run replaces whole days (and the untimed rows). #}

with scoped as (
    {%- if is_incremental() %}
    {{ coco_source_events(since=coco_incremental_from(source('coco', 'events'), coco_source_ts())) }}
    {%- else %}
    {{ coco_source_events() }}
    {%- endif %}
),

keyed as (
    select
        {{ dbt.hash('record_text') }} as event_key,
        scoped.*
    from scoped
),

counted as (
    select
        keyed.*,
        count(*) over (partition by event_key) as copies,
        row_number() over (partition by event_key order by event_key) as copy_no
    from keyed
)

select
    counted.event_key,
    counted.event_name,
    counted.ts,
    {{ coco_epoch_us('counted.ts') }} as ts_us,
    coalesce({{ dbt.cast(dbt.cast('counted.ts', 'date'), dbt.type_string()) }}, 'untimed') as event_day,
    counted.delivery_id,
    counted.robot_id,
    counted.pilot_id,
    counted.demand_id,
    counted.offer_id,
    case
        when counted.event_name like '%.failed' or counted.event_name = 'robot.grounded' or counted.has_error
             or counted.level in ('error', 'fatal', 'critical') then 'error'
        when counted.event_name in ('offer.rejected', 'offer.expired', 'demand.canceled', 'trip.canceled', 'attempt.rescued')
             or counted.level in ('warn', 'warning') then 'warning'
        else 'info'
    end as severity,
    counted.error_code,
    counted.error_message,
    counted.copies,
    coalesce(registry.position, 1000000) as registry_order,
    case when registry.position is null then counted.event_name else '' end as unknown_name,
    row_number() over (partition by counted.ts, counted.event_name order by counted.record_text) as tie_rank
from counted
left join {{ ref('coco_event_registry') }} as registry on registry.name = counted.event_name
where counted.copy_no = 1
