-- A delivery's replay: every row of its timeline in order (the dashboard binds the delivery id).
select position, ts, lane, event_name, severity, gap_before_s, is_gap,
       robot_id, pilot_id, error_code, error_message
from {{ ref('fct_delivery_timeline') }}
where delivery_id = 'D12345'
order by position
