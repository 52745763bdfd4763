with

source as (

    select * from {{ source('crm', 'email') }}

),

renamed as (

    select
        -- ids
        activityid as email_id,
        regardingobjectid as regarding_id,
        parentactivityid as parent_email_id,
        ownerid as owner_id,

        -- strings
        regardingobjecttypecode as regarding_type,
        subject,
        description,
        lower(sender) as sender_address,
        lower(torecipients) as to_recipients,
        messageid as message_id,
        inreplyto as in_reply_to_message_id,
        conversationindex as conversation_id,
        {{ decode_option_set('email', 'statecode') }} as state,
        {{ decode_option_set('email', 'statuscode') }} as status_reason,

        -- numerics
        statecode as state_code,
        statuscode as status_code,
        actualdurationminutes as actual_duration_minutes,

        -- booleans
        directioncode as is_outgoing,
        statecode = 2 as is_canceled,

        -- timestamps
        senton as sent_at,
        actualstart as actual_start_at,
        actualend as actual_end_at,
        scheduledstart as scheduled_start_at,
        scheduledend as scheduled_end_at,
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
