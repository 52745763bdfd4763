{#-
    The last relationship_recent_days days before the as-of moment, day by day. A table rebuilt by each
    run: its cost follows the activities of the window (read through the incremental link table), not
    the whole history. Sparse: days without activity have no row.
-#}

{%- set recent_days = var('relationship_recent_days') | int %}
{%- set window_start = dbt.dateadd('day', -recent_days, relationship_as_of()) %}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

activities_at as (

    {{ relationship_activities_at('records', occurred_since=window_start) | indent(4) }}

),

in_window as (

    select * from activities_at
    where is_done
        and occurred_at >= {{ window_start }}
        and initiator_side is not null

),

daily as (

    select
        record_sk,
        record_type,
        record_id,
        cast(occurred_at as date) as activity_date,
        activity_type,
        direction,
        count(*) as activity_count,
        sum({{ relationship_minutes_ours() }}) / 60.0 as hours_ours,
        sum({{ relationship_minutes_theirs() }}) / 60.0 as hours_theirs
    from in_window
    group by record_sk, record_type, record_id, cast(occurred_at as date), activity_type, direction

),

final as (

    select
        {{ dbt.concat([
            'daily.record_type', "':'", 'daily.record_id', "'|'",
            'cast(daily.activity_date as ' ~ dbt.type_string() ~ ')', "'|'",
            'daily.activity_type', "'|'", 'daily.direction'
        ]) }} as record_day_activity_key,
        records.record_key,
        daily.record_type,
        daily.record_id,
        daily.activity_date,
        daily.activity_type,
        daily.direction,
        case
            when daily.activity_type = 'email' and daily.direction = 'outgoing' then 'emails sent'
            when daily.activity_type = 'email' then 'emails received'
            when daily.activity_type = 'appointment' and daily.direction = 'outgoing' then 'meetings sent'
            when daily.activity_type = 'appointment' then 'meetings received'
            when daily.activity_type = 'phonecall' and daily.direction = 'outgoing' then 'calls made'
            when daily.activity_type = 'phonecall' then 'calls received'
            else 'tasks'
        end as measure,
        daily.activity_count,
        daily.hours_ours,
        daily.hours_theirs,
        {{ relationship_as_of_date() }} as as_of_date
    from daily
    inner join records
        on daily.record_sk = records.record_sk

)

select * from final
