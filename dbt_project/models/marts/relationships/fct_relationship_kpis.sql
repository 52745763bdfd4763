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
    date replaces its rows). The KPI logic is the relationship_kpis macro, which takes any moments.
-#}

with

records as (

    select * from {{ ref('int_records_unioned') }}

),

moments as (

    select
        record_type,
        record_id,
        {{ relationship_as_of() }} as as_of_at
    from records
    where created_at < {{ relationship_as_of() }}

),

kpis as (

    {{ relationship_kpis('moments') | indent(4) }}

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
        on kpis.record_type = records.record_type
        and kpis.record_id = records.record_id

)

select * from final
