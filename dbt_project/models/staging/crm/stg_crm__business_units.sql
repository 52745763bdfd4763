with

source as (

    select * from {{ source('crm', 'businessunit') }}

),

renamed as (

    select
        -- ids
        businessunitid as business_unit_id,
        parentbusinessunitid as parent_business_unit_id,

        -- strings
        name as business_unit_name,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
