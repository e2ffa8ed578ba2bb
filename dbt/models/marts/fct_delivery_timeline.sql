{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_events') }}

{#- Rules 4-7: one row per (delivery, event), as the rows of `coco timeline <delivery> -f json`. #}

{%- set pad_us = (var('coco_pad_seconds') | int) * 1000000 %}
{%- set gap_us = (var('coco_gap_seconds') | int) * 1000000 %}

with events as (
    select * from {{ ref('stg_events') }}
),

core as (
    select delivery_id, event_key
    from {{ ref('int_delivery_events') }}
    where ts_us is not null and {{ coco_only_affected('delivery_id') }}
),

segments as (
    select * from {{ ref('int_robot_segments') }}
    where {{ coco_only_affected('delivery_id') }}
),

pilot_windows as (
    select * from {{ ref('int_pilot_windows') }}
    where {{ coco_only_affected('delivery_id') }}
),

robots as (
    select distinct delivery_id, robot_id from segments
),

-- rule 4: the robot's own events (no delivery id) inside one of its segments, start widened by the pad
robot_hits as (
    select distinct g.delivery_id, e.event_key, e.robot_id
    from segments as g
    join events as e
      on e.robot_id = g.robot_id
     and e.delivery_id is null
     and e.ts_us >= g.start_us - {{ pad_us }}
     and (e.ts_us < g.end_us or (e.ts_us = g.end_us and not g.end_open))
),

-- rule 5: the pilot's events (no delivery id; no robot or one of the delivery's robots) inside a window
pilot_hits as (
    select distinct w.delivery_id, e.event_key, e.pilot_id
    from pilot_windows as w
    join events as e
      on e.pilot_id = w.pilot_id
     and e.delivery_id is null
     and e.ts_us >= w.start_us
     and e.ts_us <= w.end_us
    left join robots as r
      on r.delivery_id = w.delivery_id and r.robot_id = e.robot_id
    where e.robot_id is null or r.robot_id is not null
),

-- rule 6: an event found by several rules keeps the first lane of delivery, robot, pilot
placed as (
    select delivery_id, event_key, 'delivery' as lane, 0 as lane_rank
    from core
    union all
    select h.delivery_id, h.event_key, 'robot:' || h.robot_id as lane, 1 as lane_rank
    from robot_hits as h
    left join core as c on c.delivery_id = h.delivery_id and c.event_key = h.event_key
    where c.event_key is null
    union all
    select h.delivery_id, h.event_key, 'pilot:' || h.pilot_id as lane, 2 as lane_rank
    from pilot_hits as h
    left join core as c on c.delivery_id = h.delivery_id and c.event_key = h.event_key
    left join robot_hits as r on r.delivery_id = h.delivery_id and r.event_key = h.event_key
    where c.event_key is null and r.event_key is null
),

ordered as (
    select
        p.delivery_id,
        p.event_key,
        p.lane,
        p.lane_rank,
        e.ts,
        e.ts_us,
        e.event_name,
        e.severity,
        e.delivery_id as event_delivery_id,
        e.robot_id,
        e.pilot_id,
        e.demand_id,
        e.offer_id,
        e.error_code,
        e.error_message,
        e.copies,
        row_number() over (
            partition by p.delivery_id
            order by e.ts_us, p.lane_rank, e.registry_order, e.unknown_name, e.tie_rank
        ) as position
    from placed as p
    join events as e on e.event_key = p.event_key
),

gapped as (
    select
        ordered.*,
        ts_us - lag(ts_us) over (partition by delivery_id order by position) as gap_before_us
    from ordered
)

select
    delivery_id,
    position,
    event_key,
    ts,
    ts_us,
    event_name,
    lane,
    case lane_rank when 0 then 'delivery' when 1 then 'robot' else 'pilot' end as lane_kind,
    severity,
    gap_before_us,
    {{ coco_seconds('gap_before_us') }} as gap_before_s,
    coalesce(gap_before_us > {{ gap_us }}, false) as is_gap,
    event_delivery_id,
    robot_id,
    pilot_id,
    demand_id,
    offer_id,
    error_code,
    error_message,
    copies
from gapped
