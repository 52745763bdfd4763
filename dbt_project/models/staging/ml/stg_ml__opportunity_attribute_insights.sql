-- ml.opportunity_attribute_insights as the marts read it: written by Rapport's Python steps in the shape the marts use, so
-- nothing is renamed or cast; the one place that reads the source, its columns listed.
with

source as (

    select * from {{ source('ml', 'opportunity_attribute_insights') }}

),

renamed as (

    select
        model_name,
        model_version,
        trained_as_of,
        field,
        column_name,
        value_text,
        value_order,
        records,
        positives,
        rate,
        overall_rate,
        lift
    from source

)

select * from renamed
