{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#-
    Incremental on `modified_at`: a run reads only the activities changed since the newest one already
    here (>=, so a row changed in the same second as the watermark is not missed; delete+insert on
    activity_id keeps the result the same as a full refresh).
-#}
{%- set changed_since -%}
    {%- if is_incremental() %}
    where modified_at >= (select max(modified_at) from {{ this }})
    {%- endif %}
{%- endset %}

with

emails as (

    select * from {{ ref('stg_crm__emails') }}
    {{ changed_since }}

),

appointments as (

    select * from {{ ref('stg_crm__appointments') }}
    {{ changed_since }}

),

phone_calls as (

    select * from {{ ref('stg_crm__phone_calls') }}
    {{ changed_since }}

),

tasks as (

    select * from {{ ref('stg_crm__tasks') }}
    {{ changed_since }}

),

emails_shaped as (

    select
        email_id as activity_id,
        'email' as activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        state_code,
        state_code = 1 as is_completed,
        is_canceled,
        is_outgoing,
        false as has_left_voicemail,
        case
            when state_code = 1 then coalesce(sent_at, actual_end_at, actual_start_at, created_at)
        end as occurred_at,
        cast(null as {{ dbt.type_timestamp() }}) as planned_at,
        cast(actual_duration_minutes as {{ dbt.type_float() }}) as duration_minutes,
        parent_email_id,
        message_id,
        in_reply_to_message_id,
        conversation_id,
        created_at,
        modified_at
    from emails

),

appointments_shaped as (

    select
        appointment_id as activity_id,
        'appointment' as activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        state_code,
        state_code = 1 as is_completed,
        is_canceled,
        cast(null as {{ dbt.type_boolean() }}) as is_outgoing,
        false as has_left_voicemail,
        case
            when state_code = 1 then coalesce(actual_start_at, scheduled_start_at, actual_end_at, created_at)
        end as occurred_at,
        coalesce(scheduled_start_at, scheduled_end_at) as planned_at,
        cast(coalesce(
            actual_duration_minutes,
            {{ dbt.datediff('actual_start_at', 'actual_end_at', 'minute') }},
            scheduled_duration_minutes,
            {{ dbt.datediff('scheduled_start_at', 'scheduled_end_at', 'minute') }}
        ) as {{ dbt.type_float() }}) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as parent_email_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to_message_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        created_at,
        modified_at
    from appointments

),

phone_calls_shaped as (

    select
        phone_call_id as activity_id,
        'phonecall' as activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        state_code,
        state_code = 1 as is_completed,
        is_canceled,
        is_outgoing,
        has_left_voicemail,
        case
            when state_code = 1 then coalesce(actual_start_at, actual_end_at, scheduled_start_at, created_at)
        end as occurred_at,
        coalesce(scheduled_start_at, scheduled_end_at) as planned_at,
        cast(coalesce(
            actual_duration_minutes,
            {{ dbt.datediff('actual_start_at', 'actual_end_at', 'minute') }},
            0
        ) as {{ dbt.type_float() }}) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as parent_email_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to_message_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        created_at,
        modified_at
    from phone_calls

),

tasks_shaped as (

    select
        task_id as activity_id,
        'task' as activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        state_code,
        is_completed,
        is_canceled,
        cast(null as {{ dbt.type_boolean() }}) as is_outgoing,
        false as has_left_voicemail,
        case
            when is_completed then coalesce(actual_end_at, actual_start_at, due_at, modified_at)
        end as occurred_at,
        coalesce(due_at, scheduled_start_at) as planned_at,
        cast(coalesce(
            actual_duration_minutes,
            {{ dbt.datediff('actual_start_at', 'actual_end_at', 'minute') }},
            scheduled_duration_minutes
        ) as {{ dbt.type_float() }}) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as parent_email_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to_message_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        created_at,
        modified_at
    from tasks

),

unioned as (

    select * from emails_shaped
    union all
    select * from appointments_shaped
    union all
    select * from phone_calls_shaped
    union all
    select * from tasks_shaped

),

final as (

    select
        activity_id,
        activity_type,
        regarding_id,
        regarding_type,
        owner_id,
        subject,
        state_code,
        is_completed,
        is_canceled,
        is_outgoing,
        has_left_voicemail,
        duration_minutes,
        parent_email_id,
        message_id,
        in_reply_to_message_id,
        conversation_id,
        occurred_at,
        planned_at,
        created_at,
        modified_at
    from unioned

)

select * from final
