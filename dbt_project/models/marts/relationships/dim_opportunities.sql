with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

kpis as (

    select * from {{ ref('fct_relationship_kpis') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'opportunity'

),

health as (

    select * from {{ ref('fct_relationship_health_daily') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'opportunity'

),

final as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.contact_id,
        opportunities.owner_id,
        opportunities.opportunity_name,
        accounts.account_name,
        users.full_name as owner_name,
        opportunities.sales_stage,
        opportunities.rating,
        opportunities.forecast_category,
        opportunities.state,
        opportunities.status_reason,
        opportunities.estimated_value,
        opportunities.close_probability,
        opportunities.is_open,
        opportunities.is_won,
        opportunities.estimated_close_date,
        opportunities.actual_close_date,
        kpis.last_activity_ours_at,
        kpis.last_activity_ours_type,
        kpis.last_activity_theirs_at,
        kpis.last_activity_theirs_type,
        kpis.next_activity_ours_at,
        kpis.next_activity_ours_type,
        kpis.activity_count,
        kpis.customer_response_rate,
        health.health_score,
        health.health_band,
        health.health_trend,
        health.no_score_reason,
        opportunities.created_at,
        {{ relationship_as_of_date() }} as as_of_date
        -- custom fields declared in rapport.toml [scoring.opportunity.fields] (macros/scoring/scoring_custom_fields.sql)
        {{ scoring_custom_field_names('opportunity', 'opportunities') }}
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join users
        on opportunities.owner_id = users.user_id
    left join kpis
        on opportunities.opportunity_id = kpis.record_id
    left join health
        on opportunities.opportunity_id = health.record_id
    where opportunities.created_at < {{ relationship_as_of() }}

)

select * from final
