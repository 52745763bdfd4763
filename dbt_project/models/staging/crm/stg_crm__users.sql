with

source as (

    select * from {{ source('crm', 'systemuser') }}

),

renamed as (

    select
        -- ids
        systemuserid as user_id,
        businessunitid as business_unit_id,
        parentsystemuserid as manager_user_id,

        -- strings
        fullname as full_name,
        firstname as first_name,
        lastname as last_name,
        lower(internalemailaddress) as email_address,
        domainname as sign_in_name,
        jobtitle as job_title,

        -- booleans
        coalesce(isdisabled, false) as is_disabled,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
