{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        post_hook="{{ remove_deleted_records_sql(this) }}",
        on_schema_change='append_new_columns'
    )
}}

{#-
    A history of health: each run writes the rows of its as-of date (delete+insert on as_of_date).
    The trend compares with the score health_trend_lookback_days earlier, computed with the same
    formula at that earlier moment (not read back from the history), so a first run, a re-run or a
    backfill all give the same trend.
-#}

{%- set lookback_days = var('health_trend_lookback_days') | int %}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

scored_records as (

    select * from records where is_health_scored

),

moments as (

    select
        record_sk,
        record_type,
        record_id,
        as_of_at
    from scored_records

    union all

    select
        record_sk,
        record_type,
        record_id,
        {{ dbt.dateadd('day', -lookback_days, relationship_as_of()) }} as as_of_at
    from scored_records
    where created_at < {{ dbt.dateadd('day', -lookback_days, relationship_as_of()) }}

),

health as (

    {{ health_components('moments') | indent(4) }}

),

today as (

    select * from health where as_of_at = {{ relationship_as_of() }}

),

earlier as (

    select * from health where as_of_at = {{ dbt.dateadd('day', -lookback_days, relationship_as_of()) }}

),

final as (

    select
        {{ dbt.concat(['today.record_type', "':'", 'today.record_id', "'|'", relationship_as_of_date_text()]) }}
            as record_health_key,
        {{ relationship_as_of_date() }} as as_of_date,
        records.record_key,
        today.record_type,
        today.record_id,
        today.as_of_at,
        today.health_score,
        {{ health_band('today.health_score') }} as health_band,
        earlier.health_score as previous_health_score,
        {{ health_trend('today.health_score', 'earlier.health_score') }} as health_trend,
        today.no_score_reason,
        today.volume_component,
        today.volume_points,
        today.recency_component,
        today.recency_points,
        today.reciprocity_component,
        today.reciprocity_points,
        today.responsiveness_component,
        today.responsiveness_points,
        today.activity_count,
        today.recent_activity_count,
        today.recent_two_way_count,
        today.recent_weighted_two_way_count,
        today.expected_two_way_count,
        today.last_two_way_at,
        today.days_since_last_two_way,
        today.recent_initiated_ours_count,
        today.recent_initiated_theirs_count,
        today.recent_our_emails_count,
        today.recent_our_emails_replied_count,
        today.recent_customer_reply_hours
    from today
    inner join records
        on today.record_type = records.record_type
        and today.record_id = records.record_id
    left join earlier
        on today.record_type = earlier.record_type
        and today.record_id = earlier.record_id

)

select * from final
