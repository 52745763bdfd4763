-- ml.lead_attribute_insights as the marts read it: written by Rapport's Python steps in the shape the marts use,
-- so nothing to rename; the one place that reads the source.
with

source as (

    select * from {{ source('ml', 'lead_attribute_insights') }}

)

select * from source
