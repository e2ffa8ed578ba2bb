{{ config(unique_key='delivery_id', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_events') }}

{#- Rule 3: the robots of a delivery in time order; a change of robot is a reassignment, and a robot may
    come back (A -> B -> A is three segments). #}

{{ coco_segments(ref('int_delivery_events'), 'robot_id', coco_only_affected('delivery_id')) }}
