with

source as (

    select * from {{ source('crm', 'account') }}

),

renamed as (

    select
        -- ids
        accountid as account_id,
        primarycontactid as primary_contact_id,
        parentaccountid as parent_account_id,
        ownerid as owner_id,

        -- strings
        name as account_name,
        lower(emailaddress1) as email_address,
        websiteurl as website_url,
        telephone1 as phone,
        address1_country as country,
        {{ decode_option_set('account', 'industrycode') }} as industry,
        {{ decode_option_set('account', 'customertypecode') }} as relationship_type,
        {{ decode_option_set('account', 'ownershipcode') }} as ownership,
        {{ decode_option_set('account', 'statecode') }} as state,

        -- numerics
        industrycode as industry_code,
        statecode as state_code,
        revenue,
        numberofemployees as number_of_employees,

        -- booleans
        statecode = 0 as is_active,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
