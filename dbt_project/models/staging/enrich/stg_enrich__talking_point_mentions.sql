-- enrich.talking_point_mentions as the marts read it: written by Rapport's Python steps in the shape the marts use, so
-- nothing is renamed or cast; the one place that reads the source, its columns listed.
with

source as (

    select * from {{ source('enrich', 'talking_point_mentions') }}

),

renamed as (

    select
        email_id,
        contact_id,
        category,
        keyword,
        snippet,
        mentioned_at,
        language,
        analysed_at,
        ds
    from source

)

select * from renamed
