{#-
    The feature rows of one scoring target (`entity`: lead or opportunity): its records pinned to their
    moments with the fields known then (`profiles`: the ref of int_leads_profiled_at_moments or
    int_opportunities_profiled_at_moments), plus relationship KPIs as of each row's feature_at (read from
    int_relationship_kpis_at_moments, the model fct_relationship_kpis reads too) and health at that moment
    (the health_components macro); both ignore everything that happened at or after that moment.
    fct_lead_features and fct_opportunity_features are this macro with their entity.
-#}
{% macro scoring_features_at_moments(entity, profiles) %}

with

profiles as (

    select * from {{ profiles }}

),

kpis as (

    -- the relationship KPIs at each row's feature_at: int_records_pinned_to_moments holds those moments
    select * from {{ ref('int_relationship_kpis_at_moments') }}
    where record_type = '{{ entity }}'

),

moments as (

    select
        kpis.record_sk,
        kpis.record_type,
        kpis.record_id,
        kpis.as_of_at
    from kpis
    inner join profiles
        on kpis.record_id = profiles.{{ entity }}_id
        and kpis.as_of_at = profiles.feature_at

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
        on profiles.{{ entity }}_id = kpis.record_id
        and profiles.feature_at = kpis.as_of_at
    inner join health
        on profiles.{{ entity }}_id = health.record_id
        and profiles.feature_at = health.as_of_at

)

select * from final

{% endmacro %}
