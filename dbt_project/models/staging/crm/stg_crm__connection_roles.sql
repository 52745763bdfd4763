with

source as (

    select * from {{ source('crm', 'connectionrole') }}

),

renamed as (

    select
        -- ids
        connectionroleid as connection_role_id,

        -- strings
        name as role_name,
        {{ decode_option_set('connectionrole', 'category') }} as role_category,

        -- numerics
        category as role_category_code,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
