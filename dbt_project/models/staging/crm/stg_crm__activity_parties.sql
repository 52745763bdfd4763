with

source as (

    select * from {{ source('crm', 'activityparty') }}

),

renamed as (

    select
        -- ids
        activitypartyid as activity_party_id,
        activityid as activity_id,
        partyid as party_id,

        -- strings
        partyobjecttypecode as party_type,
        lower(addressused) as address_used,
        {{ decode_option_set('activityparty', 'participationtypemask') }} as participation,

        -- numerics
        participationtypemask as participation_code,

        -- booleans
        coalesce(ispartydeleted, false) as is_party_deleted

    from source

)

select * from renamed
