{#-
    Who knows whom: per colleague per external person, the interactions before the as-of moment, each
    weighted by kind and share and decayed by age relative to the data's own span, summed; the sum is
    raised for sustained two-way relationships (both directions, several threads, a long span) into
    `knows_score`, which ranks the colleagues and gives the 0-100 strength (docs/who_knows_whom.md).
    A table of the latest run.
-#}

{%- set weights = {
    'email_sent': var('who_knows_whom_email_sent_weight'),
    'email_received': var('who_knows_whom_email_received_weight'),
    'meeting': var('who_knows_whom_meeting_weight'),
    'call_answered': var('who_knows_whom_call_answered_weight'),
    'call_unanswered': var('who_knows_whom_call_unanswered_weight'),
} -%}

with

interactions as (

    select * from {{ ref('int_colleague_interactions_paired') }}
    where occurred_at < {{ relationship_as_of() }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

data_span as (

    -- the data's own span: from its first e-mail, meeting or call to the as-of moment, in days (at least
    -- one); read from all activities so that opting a colleague out moves nobody else's figures
    select
        {{ who_knows_whom_span_days('min(occurred_at)', relationship_as_of()) }} as span_days
    from {{ ref('int_activities_unioned') }}
    where occurred_at < {{ relationship_as_of() }}
        and activity_type in ('email', 'appointment', 'phonecall')

),

weighted as (

    select
        interactions.*,
        data_span.span_days,
        case interactions.interaction_kind
            {%- for kind, weight in weights.items() %}
            when '{{ kind }}' then {{ weight | float }}
            {%- endfor %}
        end * interactions.share
        * {{ who_knows_whom_decay('interactions.occurred_at', relationship_as_of(), 'data_span.span_days') }}
            as decayed_weight
    from interactions
    cross join data_span

),

pairs as (

    select
        colleague_id,
        person_key,
        max(person_type) as person_type,
        max(person_id) as person_id,
        count(distinct case when interaction_kind = 'email_sent' then activity_id end) as emails_sent,
        count(distinct case when interaction_kind = 'email_received' then activity_id end) as emails_received,
        count(distinct case when interaction_kind = 'meeting' then activity_id end) as meetings_together,
        count(distinct case when activity_type = 'phonecall' then activity_id end) as calls,
        count(distinct case when interaction_kind = 'call_answered' then activity_id end) as calls_answered,
        count(distinct activity_id) as interaction_count,
        count(distinct thread_key) as threads_shared,
        min(occurred_at) as first_interaction_at,
        max(occurred_at) as last_interaction_at,
        max(span_days) as span_days,
        sum(decayed_weight) as weighted_interactions
    from weighted
    group by colleague_id, person_key

),

scored as (

    select
        pairs.*,
        {{ who_knows_whom_knows_score(
            'weighted_interactions', 'emails_sent', 'emails_received', 'meetings_together + calls_answered',
            'threads_shared', 'first_interaction_at', 'last_interaction_at', 'span_days') }} as knows_score
    from pairs

),

people as (

    select
        {{ dbt.concat(["'contact:'", 'contact_id']) }} as person_key,
        full_name as person_name,
        email_address as person_email,
        account_id
    from contacts

    union all

    select
        {{ dbt.concat(["'lead:'", 'lead_id']) }} as person_key,
        full_name as person_name,
        email_address as person_email,
        account_id
    from leads

),

described as (

    select
        scored.*,
        coalesce(people.person_name, case when scored.person_type = 'address' then scored.person_id end) as person_name,
        coalesce(people.person_email, case when scored.person_type = 'address' then scored.person_id end) as person_email,
        people.account_id
    from scored
    left join people
        on scored.person_key = people.person_key

),

companies as (

    select
        described.*,
        nullif(lower(trim({{ dbt.split_part('described.person_email', "'@'", 2) }})), '') as email_domain,
        accounts.account_name
    from described
    left join accounts
        on described.account_id = accounts.account_id

),

final as (

    select
        {{ dbt.concat(['companies.colleague_id', "'|'", 'companies.person_key']) }} as who_knows_whom_key,
        companies.colleague_id,
        users.full_name as colleague_name,
        users.email_address as colleague_email,
        companies.person_key,
        companies.person_type,
        companies.person_id,
        companies.person_name,
        companies.person_email,
        companies.account_id,
        case
            when companies.account_id is not null then {{ dbt.concat(["'account:'", 'companies.account_id']) }}
            when companies.email_domain is not null
                and companies.email_domain not in {{ free_mail_domains() }}
                then {{ dbt.concat(["'domain:'", 'companies.email_domain']) }}
        end as company_key,
        coalesce(companies.account_name, companies.email_domain) as company_name,
        companies.email_domain,
        companies.emails_sent,
        companies.emails_received,
        companies.meetings_together,
        companies.calls,
        companies.calls_answered,
        companies.interaction_count,
        companies.first_interaction_at,
        companies.last_interaction_at,
        companies.threads_shared,
        companies.weighted_interactions,
        companies.knows_score,
        {{ who_knows_whom_strength('companies.knows_score') }} as strength,
        -- recency breaks ties only
        row_number() over (
            partition by companies.person_key
            order by companies.knows_score desc, companies.last_interaction_at desc, companies.colleague_id asc
        ) as rank,
        {{ relationship_as_of() }} as as_of_at,
        {{ relationship_as_of_date() }} as as_of_date
    from companies
    inner join users
        on companies.colleague_id = users.user_id

)

select * from final
