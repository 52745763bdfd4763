{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#-
    One row per completed e-mail and phone call, paired with the message it answers when it is a reply.

    E-mail: pairs only what the headers say. The parent is `parent_email_id`; else the e-mail whose
    `message_id` equals this one's `in_reply_to_message_id`. A reply whose parent is not in the data (it
    names one that is missing) has no parent and no response time. Only an e-mail with neither a parent id
    nor an In-Reply-To (a CRM e-mail tracked without headers) falls back to the previous message of the
    same thread (conversation index).
    Phone call: a call answers the previous call between the same two people when that call was missed
    (not connected, or a voicemail): a call-back.
    A pair counts as a response only when the reply comes from the OTHER side (our team vs the
    customer's) and from another person (never a reply to one's own message).

    Incremental: the changed e-mails and calls, whole threads / caller pairs they belong to, and the
    messages that point at them are re-paired (delete+insert on activity_id).
-#}

with

activities as (

    select
        activity_id,
        activity_sk,
        activity_type,
        initiator_side,
        initiator_person_type,
        initiator_person_id,
        is_completed,
        is_connected_call,
        parent_email_id,
        message_id,
        in_reply_to_message_id,
        conversation_id,
        occurred_at,
        modified_at
    from {{ ref('int_activities_attributed') }}
    where activity_type in ('email', 'phonecall')

),

participants as (

    select activity_sk, person_key, side, takes_part
    from {{ ref('int_activity_participants_resolved') }}

),

messages as (

    select
        activity_id,
        activity_sk,
        activity_type,
        initiator_side,
        case
            when initiator_person_id is not null
                then {{ dbt.concat(['initiator_person_type', "':'", 'initiator_person_id']) }}
        end as initiator_person_key,
        is_connected_call,
        parent_email_id,
        message_id,
        in_reply_to_message_id,
        conversation_id,
        occurred_at,
        modified_at
    from activities
    where activity_type in ('email', 'phonecall')
        and is_completed
        and occurred_at is not null

),

{% if is_incremental() %}

changed as (

    select * from messages
    where modified_at >= (select max(activity_modified_at) from {{ this }})

),

pointing_at_changed as (

    select messages.*
    from messages
    inner join changed
        on messages.parent_email_id = changed.activity_id
    union
    select messages.*
    from messages
    inner join changed
        on messages.in_reply_to_message_id = changed.message_id

),

seeds as (

    select * from changed
    union
    select * from pointing_at_changed

),

{% else %}

seeds as (

    select * from messages

),

{% endif %}

seed_call_people as (

    select
        participants.activity_sk,
        min(case when participants.side = 'ours' then participants.person_key end) as our_person_key,
        min(case when participants.side = 'theirs' then participants.person_key end) as their_person_key
    from participants
    inner join seeds
        on participants.activity_sk = seeds.activity_sk
    where seeds.activity_type = 'phonecall'
        and participants.takes_part
    group by participants.activity_sk

),

seed_keys as (

    -- the thread of an e-mail, the pair of people of a call: what a message can be paired within
    select
        seeds.activity_id,
        case
            when seeds.activity_type = 'email' then {{ conversation_thread_key('seeds.conversation_id') }}
            when seed_call_people.our_person_key is not null and seed_call_people.their_person_key is not null
                then {{ dbt.concat(['seed_call_people.our_person_key', "'|'", 'seed_call_people.their_person_key']) }}
        end as pairing_key
    from seeds
    left join seed_call_people
        on seeds.activity_sk = seed_call_people.activity_sk

),

{% if is_incremental() %}

batch_keys as (

    select activity_id, pairing_key from seed_keys
    union
    -- the rest of each thread / pair of people, as paired before
    select paired.activity_id, paired.pairing_key
    from {{ this }} as paired
    inner join (select distinct pairing_key from seed_keys where pairing_key is not null) as keys
        on paired.pairing_key = keys.pairing_key
    where paired.activity_id not in (select activity_id from seed_keys)

),

{% else %}

batch_keys as (

    select * from seed_keys

),

{% endif %}

batch as (

    select
        messages.*,
        batch_keys.pairing_key,
        -- the thread or pair of people as an integer: the window below partitions on it, not on the text
        {{ integer_key(['batch_keys.pairing_key']) }} as pairing_sk
    from messages
    inner join batch_keys
        on messages.activity_id = batch_keys.activity_id

),

ordered as (

    select
        batch.*,
        lag(activity_id) over (
            partition by pairing_sk order by occurred_at, activity_id
        ) as previous_activity_id,
        lag(is_connected_call) over (
            partition by pairing_sk order by occurred_at, activity_id
        ) as previous_is_connected_call
    from batch

),

first_message_ids as (

    select
        message_id,
        activity_id,
        row_number() over (partition by message_id order by occurred_at, activity_id) as message_rank
    from messages
    where activity_type = 'email'
        and message_id in (select batch.in_reply_to_message_id from batch)

),

paired as (

    select
        ordered.activity_id,
        ordered.activity_type as channel,
        ordered.pairing_key,
        ordered.initiator_side as responder_side,
        ordered.initiator_person_key as responder_person_key,
        ordered.occurred_at as responded_at,
        ordered.modified_at as activity_modified_at,
        case
            when ordered.activity_type = 'email' then coalesce(
                by_parent.activity_id,
                by_message_id.activity_id,
                case
                    when ordered.pairing_key is not null
                        and ordered.parent_email_id is null
                        and ordered.in_reply_to_message_id is null
                        then ordered.previous_activity_id
                end
            )
            when ordered.pairing_key is not null
                and ordered.previous_activity_id is not null
                and not ordered.previous_is_connected_call
                then ordered.previous_activity_id
        end as answered_activity_id,
        case
            when ordered.activity_type = 'phonecall' then
                case
                    when ordered.pairing_key is not null
                        and ordered.previous_activity_id is not null
                        and not ordered.previous_is_connected_call
                        then 'call-back'
                end
            when by_parent.activity_id is not null then 'parent e-mail'
            when by_message_id.activity_id is not null then 'in-reply-to'
            when ordered.pairing_key is not null
                and ordered.previous_activity_id is not null
                and ordered.parent_email_id is null
                and ordered.in_reply_to_message_id is null
                then 'previous in conversation'
        end as pairing_method
    from ordered
    left join messages as by_parent
        on ordered.parent_email_id = by_parent.activity_id
        and ordered.activity_type = 'email'
        and by_parent.activity_id <> ordered.activity_id
    left join first_message_ids as by_message_id
        on ordered.in_reply_to_message_id = by_message_id.message_id
        and by_message_id.message_rank = 1
        and ordered.activity_type = 'email'
        and by_message_id.activity_id <> ordered.activity_id

),

with_answered as (

    select
        paired.*,
        answered.initiator_side as answered_side,
        answered.initiator_person_key as answered_person_key,
        answered.occurred_at as answered_at
    from paired
    left join messages as answered
        on paired.answered_activity_id = answered.activity_id

),

final as (

    select
        activity_id,
        channel,
        pairing_key,
        pairing_method,
        answered_activity_id,
        responder_side,
        responder_person_key,
        answered_side,
        answered_person_key,
        case
            when answered_activity_id is null then 'not a reply'
            when responder_person_key = answered_person_key then 'reply to own message'
            when responder_side is null or answered_side is null then 'side unknown'
            when responder_side = answered_side then 'same side'
            when responded_at < answered_at then 'reply before message'
        end as exclusion_reason,
        answered_activity_id is not null
            and responder_side is not null
            and answered_side is not null
            and responder_side <> answered_side
            and coalesce(responder_person_key, '') <> coalesce(answered_person_key, '-')
            and responded_at >= answered_at as is_counted_response,
        case
            when answered_at is not null
                then {{ dbt.datediff('answered_at', 'responded_at', 'second') }} / 3600.0
        end as response_hours,
        answered_at,
        responded_at,
        activity_modified_at
    from with_answered

)

select * from final
