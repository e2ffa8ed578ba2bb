{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_events') }}

{#- Rule 5: the windows in which pilots supervised a delivery.

    direct:     segments of the pilot ids on the delivery's own events, as rule 3 does for robots;
    assignment: a `pilot.assignment_started` (P, R) lasts until the next `pilot.assignment_ended` (P, R)
                (strictly later: an end at the same instant is taken first, a handover), or for ever.
                Each assignment that starts at most coco_assignment_lookback_seconds before a segment of
                R starts, and no later than it ends, meets that segment; the non-empty intersection is a
                window of P. Only an end before the segment's end can shorten it, so only those are read.
    Windows are not merged here: merging does not change which events they contain. #}

{%- set lookback_us = (var('coco_assignment_lookback_seconds') | int) * 1000000 %}

with segments as (
    select * from {{ ref('int_robot_segments') }}
    where {{ coco_only_affected('delivery_id') }}
),

assignment_events as (
    select event_name, pilot_id, robot_id, ts_us
    from {{ ref('stg_events') }}
    where event_name in ('pilot.assignment_started', 'pilot.assignment_ended')
      and pilot_id is not null and robot_id is not null and ts_us is not null
),

candidates as (
    select
        g.delivery_id, g.segment_no, g.robot_id, g.start_us as segment_start, g.end_us as segment_end,
        g.end_open as segment_open, a.pilot_id, a.ts_us as assignment_start
    from segments as g
    join assignment_events as a
      on a.event_name = 'pilot.assignment_started'
     and a.robot_id = g.robot_id
     and a.ts_us >= g.start_us - {{ lookback_us }}
     and a.ts_us <= g.end_us
),

ended as (
    select
        c.delivery_id, c.segment_no, c.robot_id, c.segment_start, c.segment_end, c.segment_open,
        c.pilot_id, c.assignment_start, min(e.ts_us) as assignment_end
    from candidates as c
    left join assignment_events as e
      on e.event_name = 'pilot.assignment_ended'
     and e.pilot_id = c.pilot_id
     and e.robot_id = c.robot_id
     and e.ts_us > c.assignment_start
     and e.ts_us < c.segment_end
    group by c.delivery_id, c.segment_no, c.robot_id, c.segment_start, c.segment_end, c.segment_open,
             c.pilot_id, c.assignment_start
),

through_robot as (
    select
        delivery_id,
        pilot_id,
        'assignment' as window_source,
        robot_id,
        case when assignment_start > segment_start then assignment_start else segment_start end as start_us,
        coalesce(assignment_end, segment_end) as end_us,
        case when assignment_end is null then segment_open else false end as end_open
    from ended
),

direct as (
    {{ coco_segments(ref('int_delivery_events'), 'pilot_id', coco_only_affected('delivery_id')) }}
)

select delivery_id, pilot_id, 'direct' as window_source, cast(null as {{ dbt.type_string() }}) as robot_id,
       start_us, end_us, end_open
from direct
union all
select distinct delivery_id, pilot_id, window_source, robot_id, start_us, end_us, end_open
from through_robot
where start_us < end_us or (start_us = end_us and not end_open)
