with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

unioned as (

    select
        'lead' as record_type,
        lead_id as record_id,
        account_id,
        owner_id,
        coalesce(full_name, subject) as record_name,
        state,
        is_open,
        is_open as is_health_scored,
        created_at,
        modified_at,
        -- the contract has no close date for leads: a closed lead was closed at its last change
        case when not is_open then modified_at end as closed_at
    from leads

    union all

    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        account_id,
        owner_id,
        opportunity_name as record_name,
        state,
        is_open,
        is_open as is_health_scored,
        created_at,
        modified_at,
        case when not is_open then cast(actual_close_date as {{ dbt.type_timestamp() }}) end as closed_at
    from opportunities

    union all

    select
        'contact' as record_type,
        contact_id as record_id,
        account_id,
        owner_id,
        full_name as record_name,
        state,
        is_active as is_open,
        true as is_health_scored,
        created_at,
        modified_at,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at
    from contacts

    union all

    select
        'account' as record_type,
        account_id as record_id,
        account_id,
        owner_id,
        account_name as record_name,
        state,
        is_active as is_open,
        false as is_health_scored,
        created_at,
        modified_at,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at
    from accounts

),

final as (

    select
        {{ dbt.concat(['record_type', "':'", 'record_id']) }} as record_key,
        {{ integer_key(['record_type', 'record_id']) }} as record_sk,
        record_type,
        record_id,
        account_id,
        owner_id,
        record_name,
        state,
        is_open,
        is_health_scored,
        created_at,
        modified_at,
        closed_at
    from unioned

)

select * from final
