with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

kpis as (

    select * from {{ ref('fct_relationship_kpis') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'lead'

),

health as (

    select * from {{ ref('fct_relationship_health_daily') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'lead'

),

final as (

    select
        leads.lead_id,
        leads.account_id,
        leads.contact_id,
        leads.owner_id,
        leads.subject,
        leads.full_name,
        leads.company_name,
        leads.job_title,
        leads.email_address,
        leads.lead_source,
        leads.rating,
        leads.state,
        leads.status_reason,
        users.full_name as owner_name,
        leads.estimated_amount,
        leads.is_open,
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
        leads.created_at,
        {{ relationship_as_of_date() }} as as_of_date
        -- custom fields declared in rapport.toml [scoring.lead.fields] (macros/scoring/scoring_custom_fields.sql)
        {{ scoring_custom_field_names('lead', 'leads') }}
    from leads
    left join users
        on leads.owner_id = users.user_id
    left join kpis
        on leads.lead_id = kpis.record_id
    left join health
        on leads.lead_id = health.record_id
    where leads.created_at < {{ relationship_as_of() }}

)

select * from final
