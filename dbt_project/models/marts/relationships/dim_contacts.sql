with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

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
        and record_type = 'contact'

),

health as (

    select * from {{ ref('fct_relationship_health_daily') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'contact'

),

final as (

    select
        contacts.contact_id,
        contacts.account_id,
        contacts.owner_id,
        contacts.full_name,
        contacts.job_title,
        contacts.email_address,
        accounts.account_name,
        users.full_name as owner_name,
        contacts.state,
        contacts.is_active,
        kpis.last_activity_ours_at,
        kpis.last_activity_ours_type,
        kpis.last_activity_theirs_at,
        kpis.last_activity_theirs_type,
        kpis.next_activity_ours_at,
        kpis.next_activity_ours_type,
        kpis.activity_count,
        kpis.customer_response_rate,
        kpis.most_contacted_by_name,
        health.health_score,
        health.health_band,
        health.health_trend,
        health.no_score_reason,
        contacts.created_at,
        {{ relationship_as_of_date() }} as as_of_date
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id
    left join users
        on contacts.owner_id = users.user_id
    left join kpis
        on contacts.contact_id = kpis.record_id
    left join health
        on contacts.contact_id = health.record_id
    where contacts.created_at < {{ relationship_as_of() }}

)

select * from final
