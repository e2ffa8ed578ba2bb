{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_events') }}

{#- Rules 1-2: a delivery's direct events and the events without a delivery id linked to it by a
    demand or offer id of int_delivery_links; timed or not. Its timed events are the `delivery` lane. #}

with events as (
    select * from {{ ref('stg_events') }}
),

links as (
    select * from {{ ref('int_delivery_links') }}
    where {{ coco_only_affected('delivery_id') }}
),

members as (
    select delivery_id, event_key, true as is_direct
    from events
    where delivery_id is not null and {{ coco_only_affected('delivery_id') }}
    union all
    select distinct delivery_id, event_key, false as is_direct
    from (
        select l.delivery_id, e.event_key
        from events as e
        join links as l on l.link_kind = 'demand' and e.demand_id = l.link_id
        where e.delivery_id is null
        union all
        select l.delivery_id, e.event_key
        from events as e
        join links as l on l.link_kind = 'offer' and e.offer_id = l.link_id
        where e.delivery_id is null
    ) linked
)

select
    m.delivery_id,
    m.event_key,
    m.is_direct,
    e.ts_us,
    e.event_name,
    e.robot_id,
    e.pilot_id,
    e.registry_order,
    e.unknown_name,
    e.tie_rank,
    e.copies
from members as m
join events as e on e.event_key = m.event_key
