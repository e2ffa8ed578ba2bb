-- Failures by robot: failed deliveries per robot (the robot on the delivery.failed row) and error code.
select f.robot_id, f.error_code, count(*) as failures
from {{ ref('fct_delivery_timeline') }} as f
where f.lane = 'delivery' and f.event_name = 'delivery.failed'
group by f.robot_id, f.error_code
order by failures desc, f.robot_id, f.error_code
