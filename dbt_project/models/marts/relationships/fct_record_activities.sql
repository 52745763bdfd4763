{#-
    Every activity that counts for a record as of the run (the record page's full activity history):
    the done ones before the as-of moment and the upcoming ones known before it, with who started it.
    Rebuilt by each run through the incremental link table (as fct_relationship_activity_daily).
    Ordered by record: a reader of one record's history (the insight pages) then reads a few row groups
    of a table with several rows per activity instead of all of them (DuckDB keeps insertion order and
    skips row groups by their min/max; other engines ignore the order).
-#}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

activities_at as (

    {{ relationship_activities_at('records') | indent(4) }}

),

attributed as (

    select activity_id, subject, initiator_name
    from {{ ref('int_activities_attributed') }}

)

select
    {{ dbt.concat(["activities_at.record_type", "':'", "activities_at.record_id", "'|'", "activities_at.activity_id"]) }}
        as record_activity_key,
    {{ dbt.concat(["activities_at.record_type", "':'", "activities_at.record_id"]) }} as record_key,
    activities_at.record_type,
    activities_at.record_id,
    activities_at.activity_id,
    activities_at.activity_type,
    activities_at.initiator_side,
    activities_at.direction,
    attributed.initiator_name,
    attributed.subject,
    activities_at.duration_minutes,
    activities_at.is_two_way,
    activities_at.occurred_at,
    activities_at.planned_at,
    activities_at.is_done,
    activities_at.is_upcoming,
    cast(activities_at.as_of_at as date) as as_of_date
from activities_at
inner join attributed
    on activities_at.activity_id = attributed.activity_id
order by activities_at.record_type, activities_at.record_id, activities_at.occurred_at
