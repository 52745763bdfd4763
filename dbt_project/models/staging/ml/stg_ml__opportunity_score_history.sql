-- ml.opportunity_score_history as the marts read it: written by Rapport's Python steps in the shape the marts use, so
-- nothing is renamed or cast; the one place that reads the source, its columns listed.
with

source as (

    select * from {{ source('ml', 'opportunity_score_history') }}

),

renamed as (

    select
        record_id,
        as_of_date,
        status,
        status_reason,
        probability,
        score,
        grade,
        trend,
        previous_score,
        model_name,
        model_version,
        features_digest,
        reasons_as_of_date,
        reasons_json,
        change_json,
        scored_at
    from source

)

select * from renamed
