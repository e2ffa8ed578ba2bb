{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_events') }}

{#- One row per delivery: the summary of `coco timeline <delivery> -f json`, plus the first error code. #}

with deliveries as (
    select distinct delivery_id
    from {{ ref('int_delivery_events') }}
    where is_direct and {{ coco_only_affected('delivery_id') }}
),

timeline as (
    select * from {{ ref('fct_delivery_timeline') }}
    where {{ coco_only_affected('delivery_id') }}
),

members as (
    select * from {{ ref('int_delivery_events') }}
    where {{ coco_only_affected('delivery_id') }}
),

rows_summary as (
    select
        delivery_id,
        min(ts_us) as start_us,
        max(ts_us) as end_us,
        min(ts) as session_start,
        max(ts) as session_end,
        count(*) as events,
        sum(case when severity = 'error' then 1 else 0 end) as errors,
        sum(case when severity = 'warning' then 1 else 0 end) as warnings,
        sum(case when is_gap then 1 else 0 end) as gaps,
        sum(copies - 1) as duplicates_in_rows
    from timeline
    group by delivery_id
),

-- timeline rules §6: the last delivery outcome of the delivery lane decides, else the last demand outcome, else
-- in progress (coco_delivery_status: coco's own SQL, generated into macros/coco_rules.sql)
statuses as (
    {{ coco_delivery_status("(select delivery_id, event_name, position from timeline where lane = 'delivery') as delivery_lane",
                            'delivery_id', 'event_name', 'position desc') }}
),

first_error as (
    select delivery_id, error_code
    from (
        select delivery_id, error_code, row_number() over (partition by delivery_id order by position) as n
        from timeline
        where error_code is not null
    ) coded
    where n = 1
),

unplaced as (
    select delivery_id, count(*) as unplaced, sum(copies - 1) as duplicates_unplaced
    from members
    where ts_us is null
    group by delivery_id
),

robot_firsts as (
    select delivery_id, robot_id, min(start_us) as first_us
    from {{ ref('int_robot_segments') }}
    where {{ coco_only_affected('delivery_id') }}
    group by delivery_id, robot_id
),

robot_lists as (
    select
        delivery_id,
        {{ dbt.listagg('robot_id', "', '", "order by first_us, robot_id") }} as robots,
        count(*) as robot_count
    from robot_firsts
    group by delivery_id
),

segment_counts as (
    select delivery_id, count(*) as segments
    from {{ ref('int_robot_segments') }}
    where {{ coco_only_affected('delivery_id') }}
    group by delivery_id
),

pilot_firsts as (
    select delivery_id, pilot_id, min(start_us) as first_us
    from {{ ref('int_pilot_windows') }}
    where {{ coco_only_affected('delivery_id') }}
    group by delivery_id, pilot_id
),

pilot_lists as (
    select
        delivery_id,
        {{ dbt.listagg('pilot_id', "', '", "order by first_us, pilot_id") }} as pilots,
        count(*) as pilot_count
    from pilot_firsts
    group by delivery_id
)

select
    d.delivery_id,
    coalesce(st.status, 'in_progress') as status,
    r.session_start,
    r.session_end,
    {{ coco_seconds('r.end_us - r.start_us') }} as duration_s,
    coalesce(r.events, 0) as events,
    coalesce(r.errors, 0) as errors,
    coalesce(r.warnings, 0) as warnings,
    coalesce(r.gaps, 0) as gaps,
    coalesce(r.duplicates_in_rows, 0) + coalesce(u.duplicates_unplaced, 0) as duplicates_removed,
    coalesce(u.unplaced, 0) as unplaced,
    rl.robots,
    coalesce(rl.robot_count, 0) as robot_count,
    pl.pilots,
    coalesce(pl.pilot_count, 0) as pilot_count,
    case when s.segments > 1 then s.segments - 1 else 0 end as reassignments,
    fe.error_code as first_error_code,
    {{ dbt.cast('r.session_start', 'date') }} as session_day,
    r.start_us,
    r.end_us
from deliveries as d
left join rows_summary as r on r.delivery_id = d.delivery_id
left join statuses as st on st.delivery_id = d.delivery_id
left join first_error as fe on fe.delivery_id = d.delivery_id
left join unplaced as u on u.delivery_id = d.delivery_id
left join robot_lists as rl on rl.delivery_id = d.delivery_id
left join segment_counts as s on s.delivery_id = d.delivery_id
left join pilot_lists as pl on pl.delivery_id = d.delivery_id
