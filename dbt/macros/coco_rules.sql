{#
  Generated from coco's own SQL by `python -m cocoevents.devtools.dbt_rules`: do not edit, regenerate
  (tests/integration/test_dbt_project.py fails when this file differs from what the core gives).
#}

{#- Timeline rules §6 (cocoevents/core/status.py): (delivery, status) of every delivery with an outcome
    among `rows`, its delivery-lane rows; `later` orders them last first. The others are in progress. #}
{% macro coco_delivery_status(rows, delivery, event, later) -%}
SELECT {{ delivery }}, status FROM (
    SELECT {{ delivery }}, CASE WHEN {{ event }} = 'delivery.dropoff_completed' THEN 'fulfilled' WHEN {{ event }} = 'delivery.failed' THEN 'failed' WHEN {{ event }} = 'demand.fulfilled' THEN 'fulfilled' WHEN {{ event }} = 'demand.canceled' THEN 'canceled' END AS status,
           ROW_NUMBER() OVER (PARTITION BY {{ delivery }}
                              ORDER BY CASE WHEN {{ event }} IN ('delivery.dropoff_completed', 'delivery.failed') THEN 1 ELSE 0 END DESC, {{ later }}) AS k
    FROM {{ rows }}
    WHERE {{ event }} IN ('delivery.dropoff_completed', 'delivery.failed', 'demand.fulfilled', 'demand.canceled')
) coco_ranked_outcomes WHERE k = 1
{%- endmacro %}
