{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#-
    A history: each run writes the rows of its as-of date (delete+insert on as_of_date, so re-running a
    date replaces its rows). Rows and moments: int_opportunities_pinned_to_moments; fields known at the moment:
    int_opportunities_profiled_at_moments; relationship KPIs and health at the moment: the relationship macros,
    which ignore everything that happened at or after each row's feature_at.
-#}

with

profiles as (

    select * from {{ ref('int_opportunities_profiled_at_moments') }}

),

moments as (

    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        feature_at as as_of_at
    from profiles

),

kpis as (

    {{ relationship_kpis('moments') | indent(4) }}

),

health as (

    {{ health_components('moments') | indent(4) }}

),

final as (

    select
        profiles.*,
        {{ scoring_relationship_features('kpis', 'health', 'profiles.feature_at') | indent(8) }}
    from profiles
    inner join kpis
        on profiles.opportunity_id = kpis.record_id
        and profiles.feature_at = kpis.as_of_at
    inner join health
        on profiles.opportunity_id = health.record_id
        and profiles.feature_at = health.as_of_at

)

select * from final
