{#-
    The feature rows of one scoring target (`entity`: lead or opportunity): its records pinned to their
    moments with the fields known then (`profiles`: the ref of int_leads_profiled_at_moments or
    int_opportunities_profiled_at_moments), plus
    relationship KPIs and health as of each row's feature_at, computed by the relationship macros, which
    ignore everything that happened at or after that moment. fct_lead_features and
    fct_opportunity_features are this macro with their entity.
-#}
{% macro scoring_features_at_moments(entity, profiles) %}

with

profiles as (

    select * from {{ profiles }}

),

moments as (

    select
        '{{ entity }}' as record_type,
        {{ entity }}_id as record_id,
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
        on profiles.{{ entity }}_id = kpis.record_id
        and profiles.feature_at = kpis.as_of_at
    inner join health
        on profiles.{{ entity }}_id = health.record_id
        and profiles.feature_at = health.as_of_at

)

select * from final

{% endmacro %}
