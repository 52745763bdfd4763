with

source as (

    select * from {{ source('crm', 'phonecall') }}

),

renamed as (

    select
        -- ids
        activityid as phone_call_id,
        regardingobjectid as regarding_id,
        ownerid as owner_id,

        -- strings
        regardingobjecttypecode as regarding_type,
        subject,
        description,
        phonenumber as phone_number,
        {{ decode_option_set('phonecall', 'statecode') }} as state,
        {{ decode_option_set('phonecall', 'statuscode') }} as status_reason,

        -- numerics
        statecode as state_code,
        statuscode as status_code,
        actualdurationminutes as actual_duration_minutes,
        scheduleddurationminutes as scheduled_duration_minutes,

        -- booleans
        directioncode as is_outgoing,
        coalesce(leftvoicemail, false) as has_left_voicemail,
        statecode = 2 as is_canceled,

        -- timestamps
        actualstart as actual_start_at,
        actualend as actual_end_at,
        scheduledstart as scheduled_start_at,
        scheduledend as scheduled_end_at,
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
