with

source as (

    select * from {{ source('crm', 'lead') }}

),

renamed as (

    select
        -- ids
        leadid as lead_id,
        parentaccountid as account_id,
        parentcontactid as contact_id,
        qualifyingopportunityid as qualifying_opportunity_id,
        ownerid as owner_id,

        -- strings
        subject,
        fullname as full_name,
        firstname as first_name,
        lastname as last_name,
        companyname as company_name,
        jobtitle as job_title,
        lower(emailaddress1) as email_address,
        telephone1 as phone,
        websiteurl as website_url,
        address1_country as country,
        {{ decode_option_set('lead', 'industrycode') }} as industry,
        {{ decode_option_set('lead', 'leadsourcecode') }} as lead_source,
        {{ decode_option_set('lead', 'leadqualitycode') }} as rating,
        {{ decode_option_set('lead', 'budgetstatus') }} as budget_status,
        {{ decode_option_set('lead', 'purchasetimeframe') }} as purchase_timeframe,
        {{ decode_option_set('lead', 'purchaseprocess') }} as purchase_process,
        {{ decode_option_set('lead', 'need') }} as need,
        {{ decode_option_set('lead', 'statecode') }} as state,
        {{ decode_option_set('lead', 'statuscode') }} as status_reason,

        -- numerics
        industrycode as industry_code,
        leadsourcecode as lead_source_code,
        statecode as state_code,
        statuscode as status_code,
        revenue,
        numberofemployees as number_of_employees,
        budgetamount as budget_amount,
        estimatedamount as estimated_amount,

        -- booleans
        decisionmaker as is_decision_maker_identified,
        statecode = 0 as is_open,

        -- dates
        estimatedclosedate as estimated_close_date,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

        -- custom fields declared in rapport.toml [scoring.lead.fields] (macros/scoring/scoring_custom_fields.sql)
        {{ scoring_custom_field_columns('lead', source('crm', 'lead')) }}

    from source

)

select * from renamed
