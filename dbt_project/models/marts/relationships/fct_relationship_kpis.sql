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
    A history: each run writes the rows of its as-of date (delete+insert on as_of_date, so re-running a
    date replaces its rows). The KPIs are computed, each by name, in int_relationship_kpis_at_moments
    (shared with the scoring features); this mart keeps the run's as-of moment of every record. Its KPI
    columns are that model's (`kpis.*`), so a KPI is named in one SQL file only: hence the noqa AM04 below.
-#}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

kpis as (

    select * from {{ ref('int_relationship_kpis_at_moments') }}

),

final as (

    select
        {{ dbt.concat(['kpis.record_type', "':'", 'kpis.record_id', "'|'", relationship_as_of_date_text()]) }}
            as record_kpi_key,
        {{ relationship_as_of_date() }} as as_of_date,
        records.record_key,
        kpis.*
    from kpis
    inner join records
        on kpis.record_sk = records.record_sk
        and kpis.as_of_at = records.as_of_at

)

select * from final  -- noqa: AM04
