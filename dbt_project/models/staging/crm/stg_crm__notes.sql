with

source as (

    select * from {{ source('crm', 'annotation') }}

),

renamed as (

    select
        -- ids
        annotationid as note_id,
        objectid as regarding_id,
        ownerid as owner_id,

        -- strings
        objecttypecode as regarding_type,
        subject,
        notetext as note_text,
        filename as file_name,
        mimetype as mime_type,

        -- booleans
        coalesce(isdocument, false) as is_attachment,

        -- timestamps
        createdon as created_at,
        modifiedon as modified_at

    from source

)

select * from renamed
