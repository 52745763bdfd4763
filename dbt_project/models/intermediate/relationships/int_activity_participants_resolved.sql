{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#-
    Parties have no timestamp of their own: they follow their activity. A run re-resolves the parties of
    the activities changed since the newest activity already here (delete+insert on activity_id).
-#}

with

activities as (

    select * from {{ ref('int_activities_unioned') }}
    {%- if is_incremental() %}
    where modified_at >= (select max(activity_modified_at) from {{ this }})
    {%- endif %}

),

parties as (

    select * from {{ ref('stg_crm__activity_parties') }}

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

people as (

    select 'systemuser' as person_type, user_id as person_id, full_name as person_name from users
    union all
    select 'contact' as person_type, contact_id as person_id, full_name as person_name from contacts
    union all
    select 'lead' as person_type, lead_id as person_id, full_name as person_name from leads
    union all
    select 'account' as person_type, account_id as person_id, account_name as person_name from accounts

),

activity_parties as (

    -- e-mails, meetings and calls: their party list; tasks have none, their owner does the work
    select
        parties.activity_party_id as participant_id,
        activities.activity_id,
        activities.activity_type,
        activities.modified_at as activity_modified_at,
        parties.party_type as person_type,
        parties.party_id as person_id,
        parties.address_used,
        parties.participation_code
    from activities
    inner join parties
        on activities.activity_id = parties.activity_id
    where activities.activity_type <> 'task'

    union all

    select
        {{ dbt.concat(['activities.activity_id', "':owner'"]) }} as participant_id,
        activities.activity_id,
        activities.activity_type,
        activities.modified_at as activity_modified_at,
        'systemuser' as person_type,
        activities.owner_id as person_id,
        cast(null as {{ dbt.type_string() }}) as address_used,
        9 as participation_code
    from activities
    where activities.activity_type = 'task'
        and activities.owner_id is not null

),

resolved as (

    select
        activity_parties.participant_id,
        activity_parties.activity_id,
        -- integer surrogate keys: the relationship models join and group on these, not on text
        {{ integer_key(['activity_parties.activity_id']) }} as activity_sk,
        {{ integer_key(['activity_parties.person_type', 'activity_parties.person_id']) }} as person_sk,
        activity_parties.activity_type,
        activity_parties.person_type,
        activity_parties.person_id,
        case
            when activity_parties.person_id is not null
                then {{ dbt.concat(['activity_parties.person_type', "':'", 'activity_parties.person_id']) }}
        end as person_key,
        coalesce(people.person_name, activity_parties.address_used) as person_name,
        activity_parties.address_used,
        case
            when activity_parties.person_type = 'systemuser' then 'ours'
            when activity_parties.person_type in ('contact', 'lead', 'account') then 'theirs'
        end as side,
        activity_parties.participation_code,
        -- who started it: sender (1) or organizer (7); a task's owner
        activity_parties.participation_code in (1, 7)
            or (activity_parties.activity_type = 'task' and activity_parties.participation_code = 9)
            as is_initiator,
        -- who it was sent or put through to: e-mail to/cc/bcc, the callee of a call
        (activity_parties.activity_type = 'email' and activity_parties.participation_code in (2, 3, 4))
            or (activity_parties.activity_type = 'phonecall' and activity_parties.participation_code = 2)
            as is_recipient,
        -- who attended a meeting: required, optional, organizer
        activity_parties.activity_type = 'appointment'
            and activity_parties.participation_code in (5, 6, 7) as is_attendee,
        -- who takes part for linking and people counts: e-mail from/to/cc, meeting
        -- required/optional/organizer, call from/to, a task's owner
        (activity_parties.activity_type = 'email' and activity_parties.participation_code in (1, 2, 3))
            or (activity_parties.activity_type = 'appointment' and activity_parties.participation_code in (5, 6, 7))
            or (activity_parties.activity_type = 'phonecall' and activity_parties.participation_code in (1, 2))
            or (activity_parties.activity_type = 'task' and activity_parties.participation_code = 9)
            as takes_part,
        activity_parties.activity_modified_at
    from activity_parties
    left join people
        on activity_parties.person_type = people.person_type
        and activity_parties.person_id = people.person_id

),

final as (

    select * from resolved

)

select * from final
