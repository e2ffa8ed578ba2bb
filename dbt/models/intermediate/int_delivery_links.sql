{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}

{#- Rule 2: hop 0 is the demand/offer ids of a delivery's direct events; hop n adds the other id of the
    events without a delivery id that carry an id of hop n-1. Events linked by any of these ids belong to
    the delivery (int_delivery_events); with coco_link_hops = 2 that is the offer -> demand -> delivery
    chain. #}

with events as (
    select delivery_id, demand_id, offer_id from {{ ref('stg_events') }}
),

free as (
    select demand_id, offer_id
    from events
    where delivery_id is null and demand_id is not null and offer_id is not null
),

hop_0 as (
    select delivery_id, 'demand' as link_kind, demand_id as link_id
    from events
    where delivery_id is not null and demand_id is not null and {{ coco_only_affected('delivery_id') }}
    union
    select delivery_id, 'offer' as link_kind, offer_id as link_id
    from events
    where delivery_id is not null and offer_id is not null and {{ coco_only_affected('delivery_id') }}
)

{%- for hop in range(1, var('coco_link_hops') | int) %},

hop_{{ hop }} as (
    select h.delivery_id, 'offer' as link_kind, f.offer_id as link_id
    from hop_{{ hop - 1 }} as h
    join free as f on h.link_kind = 'demand' and f.demand_id = h.link_id
    union
    select h.delivery_id, 'demand' as link_kind, f.demand_id as link_id
    from hop_{{ hop - 1 }} as h
    join free as f on h.link_kind = 'offer' and f.offer_id = h.link_id
)
{%- endfor %},

every_hop as (
    {%- for hop in range(0, [var('coco_link_hops') | int, 1] | max) %}
    {% if not loop.first %}union all{% endif %}
    select delivery_id, link_kind, link_id, {{ hop }} as hop from hop_{{ hop }}
    {%- endfor %}
)

select delivery_id, link_kind, link_id, min(hop) as hop
from every_hop
group by delivery_id, link_kind, link_id
