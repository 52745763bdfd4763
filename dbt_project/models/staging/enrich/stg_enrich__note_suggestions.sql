-- enrich.note_suggestions as the marts read it: written by Rapport's Python steps in the shape the marts use, so
-- nothing is renamed or cast; the one place that reads the source, its columns listed.
with

source as (

    select * from {{ source('enrich', 'note_suggestions') }}

),

renamed as (

    select
        source_table,
        source_id,
        suggestion_index,
        regarding_id,
        regarding_type,
        suggestion_type,
        span_start,
        span_end,
        matched_text,
        fields,
        confidence,
        language,
        source_modified_at,
        analysed_at,
        ds
    from source

)

select * from renamed
