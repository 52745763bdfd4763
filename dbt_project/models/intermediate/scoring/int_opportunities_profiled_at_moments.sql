{#-
    What was known about each opportunity at its feature moment, apart from activities: its own fields,
    its account (when it existed before the moment) and the account's other deals closed before the moment,
    its customer contact, the lead it came from, and derived fields (e-mail domain kind, completeness).
    Dates enter only as durations.

    Left out on purpose (docs/scoring.md, Features): closeprobability, msdyn_forecastcategory, actualvalue,
    actualclosedate, statecode/statuscode, salesstage/stepname and the whole sales process (only the current
    stage is stored: which stage a closed deal was in at its moment cannot be told without looking at what
    happened after it), modifiedon (the close moment), the account's customertypecode (becomes Customer after
    a win), the owner and free text.
-#}

with

moments as (

    select * from {{ ref('int_opportunities_pinned_to_moments') }}
    where exclusion_reason is null

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities_at_moments as (

    select
        moments.opportunity_id,
        moments.as_of_date,
        moments.row_kind,
        moments.created_at,
        moments.closed_at,
        moments.label,
        moments.feature_at,
        opportunities.account_id,
        opportunities.contact_id,
        opportunities.originating_lead_id,
        opportunities.rating,
        opportunities.budget_status,
        opportunities.budget_amount,
        opportunities.purchase_timeframe,
        opportunities.purchase_process,
        opportunities.need,
        opportunities.timeline,
        opportunities.estimated_value,
        opportunities.estimated_close_date
        {{ scoring_custom_field_names('opportunity', 'opportunities') }}
    from moments
    inner join opportunities
        on moments.opportunity_id = opportunities.opportunity_id

),

known_accounts as (

    select
        opportunities_at_moments.opportunity_id,
        accounts.account_id,
        accounts.industry,
        accounts.number_of_employees,
        accounts.revenue,
        accounts.ownership,
        accounts.country,
        accounts.created_at
    from opportunities_at_moments
    inner join accounts
        on opportunities_at_moments.account_id = accounts.account_id
        and accounts.created_at < opportunities_at_moments.feature_at

),

account_history as (

    -- the account's other deals closed before the moment's day (a close date is known from the day after)
    select
        opportunities_at_moments.opportunity_id,
        sum(case when others.state_code = 1 then 1 else 0 end) as won_count,
        sum(case when others.state_code = 2 then 1 else 0 end) as lost_count
    from opportunities_at_moments
    inner join known_accounts
        on opportunities_at_moments.opportunity_id = known_accounts.opportunity_id
    inner join opportunities as others
        on known_accounts.account_id = others.account_id
        and others.opportunity_id <> opportunities_at_moments.opportunity_id
        and others.state_code in (1, 2)
        and others.actual_close_date < cast(opportunities_at_moments.feature_at as date)
    group by opportunities_at_moments.opportunity_id

),

known_contacts as (

    select
        opportunities_at_moments.opportunity_id,
        contacts.email_address,
        contacts.first_name,
        contacts.last_name,
        contacts.phone
    from opportunities_at_moments
    inner join contacts
        on opportunities_at_moments.contact_id = contacts.contact_id
        and contacts.created_at < opportunities_at_moments.feature_at

),

originating_leads as (

    -- facts of the lead the deal came from, all fixed before the opportunity existed
    select
        opportunities_at_moments.opportunity_id,
        leads.lead_source,
        {{ scoring_days_between('leads.created_at', 'opportunities_at_moments.created_at') }} as days_to_qualify
    from opportunities_at_moments
    inner join leads
        on opportunities_at_moments.originating_lead_id = leads.lead_id
        and leads.created_at < opportunities_at_moments.feature_at

),

final as (

    select
        opportunities_at_moments.opportunity_id,
        opportunities_at_moments.as_of_date,
        opportunities_at_moments.row_kind,
        opportunities_at_moments.created_at,
        opportunities_at_moments.closed_at,
        opportunities_at_moments.label,
        opportunities_at_moments.feature_at,

        -- the opportunity's own fields
        opportunities_at_moments.rating,
        opportunities_at_moments.budget_status,
        opportunities_at_moments.budget_amount,
        opportunities_at_moments.purchase_timeframe,
        opportunities_at_moments.purchase_process,
        opportunities_at_moments.need,
        opportunities_at_moments.timeline,
        opportunities_at_moments.estimated_value,
        (case when opportunities_at_moments.budget_status is null then 0 else 1 end
            + case when opportunities_at_moments.purchase_timeframe is null then 0 else 1 end
            + case when opportunities_at_moments.purchase_process is null then 0 else 1 end
            + case when opportunities_at_moments.need is null then 0 else 1 end
            + case when opportunities_at_moments.timeline is null then 0 else 1 end
        ) as qualifying_fields_filled,

        -- durations to the moment
        {{ scoring_days_between('opportunities_at_moments.created_at', 'opportunities_at_moments.feature_at') }}
            as days_since_created,
        {{ dbt.datediff('cast(opportunities_at_moments.feature_at as date)', 'opportunities_at_moments.estimated_close_date', 'day') }}
            as days_until_estimated_close,

        -- account, as known at the moment
        known_accounts.industry as account_industry,
        known_accounts.number_of_employees as account_employees,
        known_accounts.revenue as account_revenue,
        known_accounts.ownership as account_ownership,
        known_accounts.country as account_country,
        {{ scoring_days_between('known_accounts.created_at', 'opportunities_at_moments.feature_at') }} as account_age_days,
        case when known_accounts.account_id is not null then coalesce(account_history.won_count, 0) end
            as account_won_before,
        case when known_accounts.account_id is not null then coalesce(account_history.lost_count, 0) end
            as account_lost_before,

        -- customer contact and the originating lead (intelligent fields)
        {{ scoring_email_kind('known_contacts.email_address') }}
            as contact_email_kind,
        case
            when known_contacts.opportunity_id is null then 'missing'
            else {{ scoring_name_kind('known_contacts.first_name', 'known_contacts.last_name') }}
        end as contact_name_kind,
        {{ scoring_given('known_contacts.phone') }} as contact_phone_given,
        case when originating_leads.opportunity_id is null then 'direct' else 'from a lead' end as origin,
        originating_leads.lead_source,
        originating_leads.days_to_qualify

        -- custom fields declared in rapport.toml
        {{ scoring_custom_field_names('opportunity', 'opportunities_at_moments') }}
    from opportunities_at_moments
    left join known_accounts
        on opportunities_at_moments.opportunity_id = known_accounts.opportunity_id
    left join account_history
        on opportunities_at_moments.opportunity_id = account_history.opportunity_id
    left join known_contacts
        on opportunities_at_moments.opportunity_id = known_contacts.opportunity_id
    left join originating_leads
        on opportunities_at_moments.opportunity_id = originating_leads.opportunity_id

)

select * from final
