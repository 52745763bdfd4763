{#-
    Who knows a company: per colleague per account (a person's parent account) or, for people without
    an account, per e-mail domain (free-mail domains excluded). Strength comes from the sum of the
    colleague's weighted, decayed interactions with the company's people (fct_who_knows_whom), counts
    from the distinct activities (a meeting with three of their people is one meeting). A table of the
    latest run.
-#}

with

people_pairs as (

    select * from {{ ref('fct_who_knows_whom') }}
    where company_key is not null

),

interactions as (

    select * from {{ ref('int_colleague_interactions_paired') }}
    where occurred_at < {{ relationship_as_of() }}

),

company_people as (

    select distinct
        person_key,
        company_key
    from people_pairs

),

activity_counts as (

    select
        interactions.colleague_id,
        company_people.company_key,
        count(distinct case when interactions.interaction_kind = 'email_sent' then interactions.activity_id end)
            as emails_sent,
        count(distinct case when interactions.interaction_kind = 'email_received' then interactions.activity_id end)
            as emails_received,
        count(distinct case when interactions.interaction_kind = 'meeting' then interactions.activity_id end)
            as meetings_together,
        count(distinct case when interactions.activity_type = 'phonecall' then interactions.activity_id end) as calls,
        count(distinct interactions.activity_id) as interaction_count
    from interactions
    inner join company_people
        on interactions.person_key = company_people.person_key
    group by interactions.colleague_id, company_people.company_key

),

strength_sums as (

    select
        colleague_id,
        company_key,
        max(colleague_name) as colleague_name,
        max(colleague_email) as colleague_email,
        max(account_id) as account_id,
        max(company_name) as company_name,
        count(*) as people_known,
        sum(weighted_interactions) as weighted_interactions,
        max(strength) as strongest_person_strength,
        min(first_interaction_at) as first_interaction_at,
        max(last_interaction_at) as last_interaction_at
    from people_pairs
    group by colleague_id, company_key

),

final as (

    select
        {{ dbt.concat(['strength_sums.company_key', "'|'", 'strength_sums.colleague_id']) }} as company_connection_key,
        strength_sums.company_key,
        case when strength_sums.account_id is not null then 'account' else 'domain' end as company_type,
        strength_sums.account_id,
        strength_sums.company_name,
        strength_sums.colleague_id,
        strength_sums.colleague_name,
        strength_sums.colleague_email,
        strength_sums.people_known,
        activity_counts.emails_sent,
        activity_counts.emails_received,
        activity_counts.meetings_together,
        activity_counts.calls,
        activity_counts.interaction_count,
        strength_sums.first_interaction_at,
        strength_sums.last_interaction_at,
        strength_sums.weighted_interactions,
        strength_sums.strongest_person_strength,
        {{ who_knows_whom_strength('strength_sums.weighted_interactions') }} as strength,
        row_number() over (
            partition by strength_sums.company_key
            order by strength_sums.weighted_interactions desc, strength_sums.last_interaction_at desc,
                strength_sums.colleague_id asc
        ) as rank,
        {{ relationship_as_of() }} as as_of_at,
        {{ relationship_as_of_date() }} as as_of_date
    from strength_sums
    inner join activity_counts
        on strength_sums.colleague_id = activity_counts.colleague_id
        and strength_sums.company_key = activity_counts.company_key

)

select * from final
