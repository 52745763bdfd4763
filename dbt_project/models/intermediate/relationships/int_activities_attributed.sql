{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#-
    One row per activity with who started it (our team or the customer's), how many people of each side
    took part, and whether it was a two-way interaction. Time spent is not computed here: the minutes per
    e-mail are tunables, applied when KPIs are computed, so changing them never needs a full refresh.
-#}

with

activities as (

    select * from {{ ref('int_activities_unioned') }}
    {%- if is_incremental() %}
    where modified_at >= (select max(modified_at) from {{ this }})
    {%- endif %}

),

participants as (

    select * from {{ ref('int_activity_participants_resolved') }}

),

batch_participants as (

    select participants.*
    from participants
    {%- if is_incremental() %}
    inner join activities
        on participants.activity_id = activities.activity_id
    {%- endif %}

),

initiators_ranked as (

    select
        activity_id,
        side,
        person_type,
        person_id,
        person_name,
        row_number() over (
            partition by activity_id
            order by participation_code, case when side = 'ours' then 0 else 1 end, person_key
        ) as initiator_rank
    from batch_participants
    where is_initiator
        and side is not null

),

initiators as (

    select * from initiators_ranked where initiator_rank = 1

),

people_flags as (

    -- one row per activity and person: a person can hold several parties (to and cc, ...)
    select
        activity_id,
        side,
        person_key,
        max(case when takes_part then 1 else 0 end) as takes_part,
        max(case when is_recipient and not is_initiator then 1 else 0 end) as is_recipient,
        max(case when is_attendee then 1 else 0 end) as is_attendee
    from batch_participants
    where person_key is not null
        and side is not null
    group by activity_id, side, person_key

),

people_counts as (

    select
        activity_id,
        sum(case when side = 'ours' then takes_part else 0 end) as our_participant_count,
        sum(case when side = 'theirs' then takes_part else 0 end) as customer_participant_count,
        sum(case when side = 'ours' then is_recipient else 0 end) as our_recipient_count,
        sum(case when side = 'theirs' then is_recipient else 0 end) as customer_recipient_count,
        sum(case when side = 'ours' then is_attendee else 0 end) as our_attendee_count,
        sum(case when side = 'theirs' then is_attendee else 0 end) as customer_attendee_count
    from people_flags
    group by activity_id

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

attributed as (

    select
        activities.activity_id,
        activities.activity_type,
        activities.regarding_id,
        activities.regarding_type,
        activities.owner_id,
        activities.subject,
        -- sender / organizer / caller first; else the direction code (e-mail, call); else the owner (ours)
        coalesce(
            initiators.side,
            case when activities.is_outgoing then 'ours' when not activities.is_outgoing then 'theirs' end,
            case when activities.activity_type in ('appointment', 'task') then 'ours' end
        ) as initiator_side,
        case
            when initiators.side is not null then initiators.person_type
            when activities.activity_type in ('appointment', 'task') or activities.is_outgoing then 'systemuser'
        end as initiator_person_type,
        case
            when initiators.side is not null then initiators.person_id
            when activities.activity_type in ('appointment', 'task') or activities.is_outgoing then activities.owner_id
        end as initiator_person_id,
        case
            when initiators.side is not null then initiators.person_name
            when activities.activity_type in ('appointment', 'task') or activities.is_outgoing then users.full_name
        end as initiator_name,
        coalesce(people_counts.our_participant_count, 0) as our_participant_count,
        coalesce(people_counts.customer_participant_count, 0) as customer_participant_count,
        coalesce(people_counts.our_recipient_count, 0) as our_recipient_count,
        coalesce(people_counts.customer_recipient_count, 0) as customer_recipient_count,
        coalesce(people_counts.our_attendee_count, 0) as our_attendee_count,
        coalesce(people_counts.customer_attendee_count, 0) as customer_attendee_count,
        coalesce(activities.duration_minutes, 0) as duration_minutes,
        activities.is_completed,
        activities.is_canceled,
        activities.activity_type = 'phonecall'
            and activities.is_completed
            and coalesce(activities.duration_minutes, 0) > 0
            and not activities.has_left_voicemail as is_connected_call,
        activities.parent_email_id,
        activities.message_id,
        activities.in_reply_to_message_id,
        activities.conversation_id,
        activities.occurred_at,
        activities.planned_at,
        activities.created_at,
        activities.modified_at
    from activities
    left join initiators
        on activities.activity_id = initiators.activity_id
    left join people_counts
        on activities.activity_id = people_counts.activity_id
    left join users
        on activities.owner_id = users.user_id

),

final as (

    select
        activity_id,
        {{ integer_key(['activity_id']) }} as activity_sk,
        activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        initiator_side,
        case initiator_side when 'ours' then 'outgoing' when 'theirs' then 'incoming' end as direction,
        initiator_person_type,
        initiator_person_id,
        initiator_name,
        our_participant_count,
        customer_participant_count,
        our_recipient_count,
        customer_recipient_count,
        our_attendee_count,
        customer_attendee_count,
        duration_minutes,
        is_completed,
        is_canceled,
        is_connected_call,
        -- the customer took an active part: they started it, attended the meeting, or spoke on the call
        is_completed and (
            initiator_side = 'theirs'
            or (activity_type = 'appointment' and customer_attendee_count > 0)
            or (is_connected_call and customer_participant_count > 0)
        ) as is_two_way,
        parent_email_id,
        message_id,
        in_reply_to_message_id,
        conversation_id,
        occurred_at,
        planned_at,
        created_at,
        modified_at
    from attributed

)

select * from final
