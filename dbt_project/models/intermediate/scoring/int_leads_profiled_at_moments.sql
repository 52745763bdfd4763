{#-
    What was known about each lead at its feature moment, apart from activities: its own fields, its
    parent contact and account (only when they existed before the moment), the account's closed deals
    before the moment, and fields derived from them ("intelligent fields": e-mail domain kind, name
    plausibility, contact details given, completeness). Dates enter only as durations to the moment.

    Left out on purpose (docs/scoring.md, Features): statuscode/statecode and qualifyingopportunityid (they
    are the outcome), modifiedon (the close moment), the account's customertypecode (becomes Customer after
    a win), the owner and free text (subject, names).
-#}

with

moments as (

    select * from {{ ref('int_leads_pinned_to_moments') }}
    where exclusion_reason is null

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

leads_at_moments as (

    select
        moments.lead_id,
        moments.as_of_date,
        moments.row_kind,
        moments.created_at,
        moments.closed_at,
        moments.label,
        moments.feature_at,
        leads.account_id,
        leads.contact_id,
        leads.first_name,
        leads.last_name,
        leads.email_address,
        leads.phone,
        leads.website_url,
        leads.company_name,
        leads.job_title,
        leads.industry,
        leads.lead_source,
        leads.rating,
        leads.budget_status,
        leads.purchase_timeframe,
        leads.purchase_process,
        leads.need,
        leads.is_decision_maker_identified,
        leads.revenue,
        leads.number_of_employees,
        leads.budget_amount,
        leads.estimated_amount,
        leads.country,
        leads.estimated_close_date
        {{ scoring_custom_field_names('lead', 'leads') }}
    from moments
    inner join leads
        on moments.lead_id = leads.lead_id

),

known_accounts as (

    -- the parent account as far as it existed before the moment
    select
        leads_at_moments.lead_id,
        accounts.account_id,
        accounts.industry,
        accounts.number_of_employees,
        accounts.revenue,
        accounts.ownership,
        accounts.created_at
    from leads_at_moments
    inner join accounts
        on leads_at_moments.account_id = accounts.account_id
        and accounts.created_at < leads_at_moments.feature_at

),

known_contacts as (

    select
        leads_at_moments.lead_id,
        contacts.contact_id
    from leads_at_moments
    inner join contacts
        on leads_at_moments.contact_id = contacts.contact_id
        and contacts.created_at < leads_at_moments.feature_at

),

account_history as (

    -- the account's deals closed before the moment's day (a close date is known from the day after)
    select
        known_accounts.lead_id,
        sum(case when opportunities.state_code = 1 then 1 else 0 end) as won_count,
        sum(case when opportunities.state_code = 2 then 1 else 0 end) as lost_count
    from known_accounts
    inner join leads_at_moments
        on known_accounts.lead_id = leads_at_moments.lead_id
    inner join opportunities
        on known_accounts.account_id = opportunities.account_id
        and opportunities.state_code in (1, 2)
        and opportunities.actual_close_date < cast(leads_at_moments.feature_at as date)
    group by known_accounts.lead_id

),

final as (

    select
        leads_at_moments.lead_id,
        leads_at_moments.as_of_date,
        leads_at_moments.row_kind,
        leads_at_moments.created_at,
        leads_at_moments.closed_at,
        leads_at_moments.label,
        leads_at_moments.feature_at,

        -- the lead's own fields
        leads_at_moments.industry,
        leads_at_moments.lead_source,
        leads_at_moments.rating,
        leads_at_moments.budget_status,
        leads_at_moments.budget_amount,
        leads_at_moments.purchase_timeframe,
        leads_at_moments.purchase_process,
        leads_at_moments.need,
        case
            when leads_at_moments.is_decision_maker_identified then 'yes'
            when not leads_at_moments.is_decision_maker_identified then 'no'
        end as decision_maker,
        leads_at_moments.estimated_amount,
        leads_at_moments.revenue,
        leads_at_moments.number_of_employees,
        leads_at_moments.country,
        (case when leads_at_moments.budget_status is null then 0 else 1 end
            + case when leads_at_moments.purchase_timeframe is null then 0 else 1 end
            + case when leads_at_moments.purchase_process is null then 0 else 1 end
            + case when leads_at_moments.need is null then 0 else 1 end
            + case when leads_at_moments.is_decision_maker_identified is null then 0 else 1 end
        ) as qualifying_fields_filled,

        -- intelligent fields
        {{ scoring_email_kind('leads_at_moments.email_address') }}
            as email_kind,
        {{ scoring_name_kind('leads_at_moments.first_name', 'leads_at_moments.last_name') }} as name_kind,
        {{ scoring_given('leads_at_moments.phone') }} as phone_given,
        {{ scoring_given('leads_at_moments.website_url') }} as website_given,
        {{ scoring_given('leads_at_moments.company_name') }} as company_name_given,
        {{ scoring_given('leads_at_moments.job_title') }} as job_title_given,

        -- durations to the moment
        {{ scoring_days_between('leads_at_moments.created_at', 'leads_at_moments.feature_at') }} as days_since_created,
        {{ dbt.datediff('cast(leads_at_moments.feature_at as date)', 'leads_at_moments.estimated_close_date', 'day') }}
            as days_until_estimated_close,

        -- parent contact and account, as known at the moment
        case when known_contacts.contact_id is null then 'new person' else 'existing contact' end as contact_kind,
        known_accounts.industry as account_industry,
        known_accounts.number_of_employees as account_employees,
        known_accounts.revenue as account_revenue,
        known_accounts.ownership as account_ownership,
        {{ scoring_days_between('known_accounts.created_at', 'leads_at_moments.feature_at') }} as account_age_days,
        case when known_accounts.account_id is not null then coalesce(account_history.won_count, 0) end
            as account_won_before,
        case when known_accounts.account_id is not null then coalesce(account_history.lost_count, 0) end
            as account_lost_before

        -- custom fields declared in rapport.toml
        {{ scoring_custom_field_names('lead', 'leads_at_moments') }}
    from leads_at_moments
    left join known_accounts
        on leads_at_moments.lead_id = known_accounts.lead_id
    left join known_contacts
        on leads_at_moments.lead_id = known_contacts.lead_id
    left join account_history
        on leads_at_moments.lead_id = account_history.lead_id

)

select * from final
