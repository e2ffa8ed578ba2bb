{#
  Rule 3 (robot segments) and the direct pilot windows of rule 5, for every delivery at once.

  `relation` holds a delivery's direct and linked events (int_delivery_events). Its timed events that
  carry `id_column`, in rule 6 order, form runs of the same id; a run is a segment from its first event
  to where the next run starts (end excluded, end_open), the last one to the delivery's last timed event
  (end included). Columns: delivery_id, segment_no, <id>, start_us, end_us, end_open.
#}
{% macro coco_segments(relation, id_column, where='1 = 1') -%}
    select
        delivery_id,
        row_number() over (partition by delivery_id order by rn) as segment_no,
        {{ id_column }},
        start_us,
        coalesce(next_start_us, case when last_us > start_us then last_us else start_us end) as end_us,
        next_start_us is not null as end_open
    from (
        select
            s.delivery_id, s.{{ id_column }}, s.start_us, s.rn, l.last_us,
            lead(s.start_us) over (partition by s.delivery_id order by s.rn) as next_start_us
        from (
            select delivery_id, {{ id_column }}, ts_us as start_us, rn
            from (
                select
                    delivery_id, {{ id_column }}, ts_us, rn,
                    lag({{ id_column }}) over (partition by delivery_id order by rn) as previous_id
                from (
                    select
                        delivery_id, {{ id_column }}, ts_us,
                        row_number() over (partition by delivery_id order by {{ coco_row_order(0) }}) as rn
                    from {{ relation }}
                    where ts_us is not null and {{ id_column }} is not null and {{ where }}
                ) carrying
            ) marked
            where previous_id is null or previous_id <> {{ id_column }}
        ) s
        join (
            select delivery_id, max(ts_us) as last_us
            from {{ relation }}
            where ts_us is not null and {{ where }}
            group by delivery_id
        ) l on l.delivery_id = s.delivery_id
    ) runs
{%- endmacro %}

{#
  Rule 6 order within a timeline: time, lane kind (delivery 0, robot 1, pilot 2), registry position
  (unknown names after the known ones, alphabetically), then the record's text (tie_rank, ranked in
  stg_events among events of the same time and name).
#}
{% macro coco_row_order(lane_rank) -%}
    ts_us, {{ lane_rank }}, registry_order, unknown_name, tie_rank
{%- endmacro %}
