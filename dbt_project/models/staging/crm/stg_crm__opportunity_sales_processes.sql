with

source as (

    select * from {{ source('crm', 'opportunitysalesprocess') }}

),

renamed as (

    select
        -- ids
        businessprocessflowinstanceid as opportunity_sales_process_id,
        opportunityid as opportunity_id,
        activestageid as active_stage_id,

        -- strings
        name as process_name,
        activestagename as active_stage_name,
        traversedpath as traversed_path,
        {{ decode_option_set('opportunitysalesprocess', 'statuscode') }} as status_reason,

        -- numerics
        statecode as state_code,

        -- timestamps
        activestagestartedon as active_stage_started_at,
        completedon as completed_at,
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
