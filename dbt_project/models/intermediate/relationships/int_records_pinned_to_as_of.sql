{#-
    The records the run describes, pinned to its as-of moment: every lead, opportunity, contact and account
    created before that moment. The relationship marts (fct_relationship_kpis through
    int_records_pinned_to_moments, fct_relationship_health_daily, fct_relationship_activity_daily,
    fct_record_activities) all start from it, so "which records exist at the as-of moment" is written once.
-#}

with

records as (

    select * from {{ ref('int_records_unioned') }}

),

final as (

    select
        record_key,
        record_sk,
        record_type,
        record_id,
        is_health_scored,
        created_at,
        {{ relationship_as_of() }} as as_of_at
    from records
    where created_at < {{ relationship_as_of() }}

)

select * from final
