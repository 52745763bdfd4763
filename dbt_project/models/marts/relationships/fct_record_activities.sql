{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        meta={'batch_tests': 'rebuilt_rows'},
        pre_hook=[
            "{{ link_changes_create_sql(ref('int_activities_linked_to_records')) }}",
            "drop table if exists {{ record_activities_affected_relation() }}",
            "{{ get_create_table_as_sql(False, record_activities_affected_relation(), record_activities_affected_sql()) }}",
            "{{ record_activities_delete_sql() }}",
            "{{ record_activities_as_of_date_sql() }}",
        ],
        post_hook=[
            "drop table if exists {{ record_activities_state_relation() }}",
            "{{ get_create_table_as_sql(False, record_activities_state_relation(), record_activities_state_sql()) }}",
        ]
    )
}}

{#-
    Every activity that counts for a record as of the run (the record page's full activity history):
    the done ones before the as-of moment and the upcoming ones known before it, with who started it.
    Incremental (issue 17): a run rebuilds only the rows of the activities whose links changed (the link
    model's change log) or that crossed the as-of moment since the last run, and of records created since
    (record_activities_affected_sql); the pre-hooks delete their old rows and those of records no longer
    there, and set the as_of_date of the rest. Full refresh gives the same rows (tested). On a batch-test
    day its data tests read the rebuilt rows only (meta batch_tests, macros/testing/get_where_subquery.sql):
    a row's key holds its record and activity, so a duplicate or a null can only be among them.
    Ordered by record: a reader of one record's history (the insight pages) then reads a few row groups
    of a table with several rows per activity instead of all of them (DuckDB keeps insertion order and
    skips row groups by their min/max; other engines ignore the order). A run appends its rows in that
    order after the others, so a record's rows spread over the days that changed them until a full refresh.
-#}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

{% if is_incremental() %}
links_rebuilt as (

    -- the links of the activities and records the run rebuilds (record_activities_affected_sql)
    select * from {{ ref('int_activities_linked_to_records') }} as links
    where {{ record_activities_rebuilt_sql('links') }}

),
{% endif %}

activities_at as (

    {{ relationship_activities_at('records', links='links_rebuilt' if is_incremental() else none) | indent(4) }}

),

attributed as (

    select activity_sk, subject, initiator_name
    from {{ ref('int_activities_attributed') }}

)

select
    {{ dbt.concat(["activities_at.record_type", "':'", "activities_at.record_id", "'|'", "activities_at.activity_id"]) }}
        as record_activity_key,
    {{ dbt.concat(["activities_at.record_type", "':'", "activities_at.record_id"]) }} as record_key,
    activities_at.record_sk,
    activities_at.activity_sk,
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
    on activities_at.activity_sk = attributed.activity_sk
order by activities_at.record_type, activities_at.record_id, activities_at.occurred_at
