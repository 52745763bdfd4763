{#- Accounts get KPIs but no health score (as in Dynamics 365). -#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

kpis as (

    select * from {{ ref('fct_relationship_kpis') }}
    where as_of_date = {{ relationship_as_of_date() }}
        and record_type = 'account'

),

final as (

    select
        accounts.account_id,
        accounts.primary_contact_id,
        accounts.owner_id,
        accounts.account_name,
        accounts.industry,
        accounts.relationship_type,
        accounts.country,
        users.full_name as owner_name,
        accounts.state,
        accounts.is_active,
        accounts.revenue,
        accounts.number_of_employees,
        kpis.last_activity_ours_at,
        kpis.last_activity_ours_type,
        kpis.last_activity_theirs_at,
        kpis.last_activity_theirs_type,
        kpis.next_activity_ours_at,
        kpis.next_activity_ours_type,
        kpis.activity_count,
        kpis.hours_ours,
        kpis.hours_theirs,
        kpis.customer_response_rate,
        kpis.most_contacted_name,
        kpis.most_contacted_by_name,
        accounts.created_at,
        {{ relationship_as_of_date() }} as as_of_date
    from accounts
    left join users
        on accounts.owner_id = users.user_id
    left join kpis
        on accounts.account_id = kpis.record_id
    where accounts.created_at < {{ relationship_as_of() }}

)

select * from final
