with

source as (

    select * from {{ source('crm', 'opportunity') }}

),

renamed as (

    select
        -- ids
        opportunityid as opportunity_id,
        parentaccountid as account_id,
        parentcontactid as contact_id,
        customerid as customer_id,
        originatingleadid as originating_lead_id,
        ownerid as owner_id,

        -- strings
        name as opportunity_name,
        customeridtype as customer_type,
        stepname as pipeline_phase,
        {{ decode_option_set('opportunity', 'salesstage') }} as sales_stage,
        {{ decode_option_set('opportunity', 'opportunityratingcode') }} as rating,
        {{ decode_option_set('opportunity', 'budgetstatus') }} as budget_status,
        {{ decode_option_set('opportunity', 'purchasetimeframe') }} as purchase_timeframe,
        {{ decode_option_set('opportunity', 'purchaseprocess') }} as purchase_process,
        {{ decode_option_set('opportunity', 'need') }} as need,
        {{ decode_option_set('opportunity', 'timeline') }} as timeline,
        {{ decode_option_set('opportunity', 'msdyn_forecastcategory') }} as forecast_category,
        {{ decode_option_set('opportunity', 'statecode') }} as state,
        {{ decode_option_set('opportunity', 'statuscode') }} as status_reason,

        -- numerics
        salesstage as sales_stage_code,
        statecode as state_code,
        statuscode as status_code,
        estimatedvalue as estimated_value,
        actualvalue as actual_value,
        closeprobability as close_probability,
        budgetamount as budget_amount,

        -- booleans
        statecode = 0 as is_open,
        statecode = 1 as is_won,

        -- dates
        estimatedclosedate as estimated_close_date,
        actualclosedate as actual_close_date,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

        -- custom fields declared in rapport.toml [scoring.opportunity.fields] (macros/scoring/scoring_custom_fields.sql)
        {{ scoring_custom_field_columns('opportunity', source('crm', 'opportunity')) }}

    from source

)

select * from renamed
