with

source as (

    select * from {{ source('crm', 'task') }}

),

renamed as (

    select
        -- ids
        activityid as task_id,
        regardingobjectid as regarding_id,
        ownerid as owner_id,

        -- strings
        regardingobjecttypecode as regarding_type,
        subject,
        description,
        {{ decode_option_set('task', 'statecode') }} as state,
        {{ decode_option_set('task', 'statuscode') }} as status_reason,

        -- numerics
        statecode as state_code,
        statuscode as status_code,
        percentcomplete as percent_complete,
        actualdurationminutes as actual_duration_minutes,
        scheduleddurationminutes as scheduled_duration_minutes,

        -- booleans
        statecode = 1 as is_completed,
        statecode = 2 as is_canceled,

        -- timestamps
        actualstart as actual_start_at,
        actualend as actual_end_at,
        scheduledstart as scheduled_start_at,
        scheduledend as due_at,
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
