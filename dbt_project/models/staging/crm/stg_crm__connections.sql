with

source as (

    select * from {{ source('crm', 'connection') }}

),

renamed as (

    select
        -- ids
        connectionid as connection_id,
        record1id as record1_id,
        record1roleid as record1_role_id,
        record2id as record2_id,
        record2roleid as record2_role_id,

        -- strings
        record1idobjecttypecode as record1_type,
        record2idobjecttypecode as record2_type,

        -- numerics
        statecode as state_code,

        -- booleans
        coalesce(ismaster, true) as is_master,
        statecode = 0 as is_active,

        -- dates
        effectivestart as effective_start_date,
        effectiveend as effective_end_date,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
