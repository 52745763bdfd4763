with

source as (

    select * from {{ source('crm', 'contact') }}

),

renamed as (

    select
        -- ids
        contactid as contact_id,
        case when parentcustomeridtype = 'account' then parentcustomerid end as account_id,
        ownerid as owner_id,

        -- strings
        coalesce(
            fullname,
            trim(coalesce(firstname, '') || ' ' || coalesce(lastname, ''))
        ) as full_name,
        firstname as first_name,
        lastname as last_name,
        lower(emailaddress1) as email_address,
        jobtitle as job_title,
        telephone1 as phone,
        mobilephone as mobile_phone,
        address1_country as country,
        {{ decode_option_set('contact', 'preferredcontactmethodcode') }} as preferred_contact_method,
        {{ decode_option_set('contact', 'statecode') }} as state,

        -- numerics
        statecode as state_code,

        -- booleans
        coalesce(donotemail, false) as is_email_opted_out,
        coalesce(donotphone, false) as is_phone_opted_out,
        statecode = 0 as is_active,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
