-- Reassignments per day: robot changes on deliveries, by the day the delivery started.
select session_day,
       count(*) as deliveries,
       sum(case when reassignments > 0 then 1 else 0 end) as reassigned_deliveries,
       sum(reassignments) as reassignments
from {{ ref('dim_delivery_sessions') }}
where session_day is not null
group by session_day
order by session_day
