{#-
    The point-in-time rules of the scoring features, over both features models, for the run's as-of date:
    every row describes a moment after its creation and before the as-of moment; open rows are described at
    the as-of moment and carry no outcome; closed rows closed before the as-of moment and are described
    exactly `scoring_decision_gap_days` before their close. Returns the offending rows.
-#}
{%- set gap_days = var('scoring_decision_gap_days') | int -%}

with

features as (

    {%- for entity in ['lead', 'opportunity'] %}
    select
        '{{ entity }}' as record_type,
        {{ entity }}_id as record_id,
        row_kind,
        created_at,
        closed_at,
        label,
        feature_at
    from {{ ref('fct_' ~ entity ~ '_features') }}
    where as_of_date = {{ relationship_as_of_date() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

violations as (

    select
        features.*,
        case
            when feature_at <= created_at then 'feature_at is not after created_at'
            when feature_at > {{ relationship_as_of() }} then 'feature_at is after the as-of moment'
            when row_kind = 'open' and (closed_at is not null or label is not null)
                then 'an open row carries an outcome'
            when row_kind = 'open' and feature_at <> {{ relationship_as_of() }}
                then 'an open row is not described at the as-of moment'
            when row_kind = 'closed' and (closed_at is null or label is null or closed_at >= {{ relationship_as_of() }})
                then 'a closed row has no outcome before the as-of moment'
            when row_kind = 'closed' and feature_at <> {{ dbt.dateadd('day', -gap_days, 'closed_at') }}
                then 'a closed row is not described scoring_decision_gap_days before its close'
        end as violation
    from features

)

select * from violations where violation is not null
