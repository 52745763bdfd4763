{#-
    Every moment the run measures a record's relationship KPIs at (int_relationship_kpis_at_moments):
      as-of    each record of int_records_pinned_to_as_of at the run's as-of moment (fct_relationship_kpis)
      feature  each lead and opportunity the scoring uses, at its feature_at (int_leads_pinned_to_moments,
               int_opportunities_pinned_to_moments without exclusions: fct_lead_features,
               fct_opportunity_features); an open one's feature_at is the as-of moment, the same moment as
               above, so the union keeps it once and its KPIs are computed once
    moment_id numbers the moments so the KPI aggregates group by one integer.
-#}

with

records as (

    select * from {{ ref('int_records_pinned_to_as_of') }}

),

leads as (

    select * from {{ ref('int_leads_pinned_to_moments') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_pinned_to_moments') }}

),

unioned as (

    select
        record_type,
        record_id,
        as_of_at
    from records

    union

    select
        'lead' as record_type,
        lead_id as record_id,
        feature_at as as_of_at
    from leads
    where exclusion_reason is null

    union

    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        feature_at as as_of_at
    from opportunities
    where exclusion_reason is null

),

final as (

    select
        row_number() over (order by record_type, record_id, as_of_at) as moment_id,
        {{ integer_key(['record_type', 'record_id']) }} as record_sk,
        {{ dbt.concat(['record_type', "':'", 'record_id']) }} as record_key,
        record_type,
        record_id,
        as_of_at
    from unioned

)

select * from final
