{#-
    Who met whom in each activity that happened: one row per completed e-mail, meeting or phone call per
    colleague per external person, with the kind of interaction and the person's share of it. No as-of
    moment and no tunable here (the marts decay and weigh); colleagues who left (disabled users) and
    colleagues in `who_knows_whom_opt_out` are left out, so no model downstream can show them.
-#}

with

activities as (

    select * from {{ ref('int_activities_unioned') }}

),

participants as (

    select * from {{ ref('int_activity_participants_resolved') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

colleagues as (

    select
        user_id as colleague_id
    from users
    where not is_disabled
        and not {{ who_knows_whom_is_opted_out('user_id', 'email_address') }}

),

internal_addresses as (

    select distinct email_address
    from users
    where email_address is not null

),

happened as (

    select
        activity_id,
        activity_type,
        occurred_at,
        -- the conversation an e-mail belongs to; a meeting or call is a conversation of its own
        coalesce(conversation_id, activity_id) as thread_key,
        -- a call counts as answered when it lasted and left no voicemail
        activity_type = 'phonecall'
            and not coalesce(has_left_voicemail, false)
            and coalesce(duration_minutes, 0) > 0 as is_answered_call
    from activities
    where occurred_at is not null
        and activity_type in ('email', 'appointment', 'phonecall')

),

flagged as (

    select
        participants.activity_id,
        participants.person_type,
        participants.person_id,
        participants.address_used,
        case when participants.participation_code = 1 then 1 else 0 end as sender_flag,
        case when participants.is_recipient then 1 else 0 end as recipient_flag,
        case when participants.is_attendee then 1 else 0 end as attendee_flag,
        -- the customer's people: resolved contacts and leads, and addresses no record matched that
        -- are not one of our colleagues' addresses
        case
            when participants.person_type in ('contact', 'lead') and participants.person_id is not null
                then participants.person_key
            when participants.person_id is null
                and coalesce(participants.person_type, '') <> 'systemuser'
                and participants.address_used like '%@%'
                and internal_addresses.email_address is null
                then {{ dbt.concat(["'address:'", 'lower(trim(participants.address_used))']) }}
        end as external_key,
        case
            when participants.person_type = 'systemuser' then participants.person_key
        end as internal_key
    from participants
    inner join happened
        on participants.activity_id = happened.activity_id
    left join internal_addresses
        on lower(trim(participants.address_used)) = internal_addresses.email_address

),

ours as (

    select
        flagged.activity_id,
        flagged.person_id as colleague_id,
        max(flagged.sender_flag) as is_sender,
        max(flagged.recipient_flag) as is_recipient,
        max(flagged.attendee_flag) as is_attendee
    from flagged
    inner join colleagues
        on flagged.person_id = colleagues.colleague_id
    where flagged.person_type = 'systemuser'
    group by flagged.activity_id, flagged.person_id

),

theirs as (

    select
        activity_id,
        external_key as person_key,
        max(case when person_id is not null then person_type else 'address' end) as person_type,
        max(coalesce(person_id, lower(trim(address_used)))) as person_id,
        max(sender_flag) as is_sender,
        max(recipient_flag) as is_recipient,
        max(attendee_flag) as is_attendee
    from flagged
    where external_key is not null
    group by activity_id, external_key

),

audience as (

    -- how many people of each side received or attended: an interaction is shared among them
    select
        activity_id,
        count(distinct case when recipient_flag = 1 then external_key end) as their_recipient_count,
        count(distinct case when attendee_flag = 1 then external_key end) as their_attendee_count,
        count(distinct case when recipient_flag = 1 then internal_key end) as our_recipient_count
    from flagged
    group by activity_id

),

paired as (

    select
        happened.activity_id,
        happened.activity_type,
        happened.occurred_at,
        happened.thread_key,
        ours.colleague_id,
        theirs.person_key,
        theirs.person_type,
        theirs.person_id,
        case
            when happened.activity_type = 'email' and ours.is_sender = 1 and theirs.is_recipient = 1
                then 'email_sent'
            when happened.activity_type = 'email' and theirs.is_sender = 1 and ours.is_recipient = 1
                then 'email_received'
            when happened.activity_type = 'appointment' and ours.is_attendee = 1 and theirs.is_attendee = 1
                then 'meeting'
            when happened.activity_type = 'phonecall'
                and ((ours.is_sender = 1 and theirs.is_recipient = 1) or (theirs.is_sender = 1 and ours.is_recipient = 1))
                then case when happened.is_answered_call then 'call_answered' else 'call_unanswered' end
        end as interaction_kind,
        case
            when happened.activity_type = 'appointment' then cast(null as {{ dbt.type_string() }})
            when ours.is_sender = 1 then 'outgoing'
            else 'incoming'
        end as direction,
        audience.their_recipient_count,
        audience.their_attendee_count,
        audience.our_recipient_count
    from happened
    inner join ours
        on happened.activity_id = ours.activity_id
    inner join theirs
        on happened.activity_id = theirs.activity_id
    inner join audience
        on happened.activity_id = audience.activity_id

),

final as (

    select
        {{ dbt.concat(['activity_id', "'|'", 'colleague_id', "'|'", 'person_key']) }} as interaction_id,
        activity_id,
        activity_type,
        interaction_kind,
        direction,
        colleague_id,
        person_key,
        person_type,
        person_id,
        -- the person's share of the interaction: an e-mail to many is shared among its recipients on the
        -- receiving side, a meeting among the customer's attendees; a call is one to one
        case
            when interaction_kind = 'email_sent' then 1.0 / their_recipient_count
            when interaction_kind = 'email_received' then 1.0 / our_recipient_count
            when interaction_kind = 'meeting' then 1.0 / their_attendee_count
            else 1.0
        end as share,
        thread_key,
        occurred_at
    from paired
    where interaction_kind is not null

)

select * from final
