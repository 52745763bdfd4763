with

source as (

    select * from {{ source('crm', 'appointment') }}

),

renamed as (

    select
        -- ids
        activityid as appointment_id,
        regardingobjectid as regarding_id,
        ownerid as owner_id,

        -- strings
        regardingobjecttypecode as regarding_type,
        subject,
        description,
        location,
        {{ decode_option_set('appointment', 'statecode') }} as state,
        {{ decode_option_set('appointment', 'statuscode') }} as status_reason,

        -- numerics
        statecode as state_code,
        statuscode as status_code,
        actualdurationminutes as actual_duration_minutes,
        scheduleddurationminutes as scheduled_duration_minutes,

        -- booleans
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
