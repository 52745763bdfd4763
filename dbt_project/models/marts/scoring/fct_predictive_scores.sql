with

lead_scores as (

    select * from {{ ref('stg_ml__lead_score_history') }}

),

opportunity_scores as (

    select * from {{ ref('stg_ml__opportunity_score_history') }}

),

unioned as (

    select 'lead' as entity_type, record_id, as_of_date, status, status_reason, probability, score, grade,
        trend, model_name, model_version, reasons_as_of_date, reasons_json, change_json
    from lead_scores

    union all

    select 'opportunity' as entity_type, record_id, as_of_date, status, status_reason, probability, score, grade,
        trend, model_name, model_version, reasons_as_of_date, reasons_json, change_json
    from opportunity_scores

),

computed_reasons as (

    select entity_type, record_id, as_of_date as reasons_as_of_date, reasons_json
    from unioned
    where reasons_json is not null

),

-- Reasons are stored once, on the date they were computed; later rows of an unchanged record point there.
joined_to_reasons as (

    select
        unioned.entity_type,
        unioned.record_id,
        unioned.as_of_date,
        unioned.status,
        unioned.status_reason,
        unioned.probability,
        unioned.score,
        unioned.grade,
        unioned.trend,
        unioned.model_name,
        unioned.model_version,
        unioned.reasons_as_of_date,
        computed_reasons.reasons_json,
        unioned.change_json
    from unioned
    left join computed_reasons
        on unioned.entity_type = computed_reasons.entity_type
        and unioned.record_id = computed_reasons.record_id
        and unioned.reasons_as_of_date = computed_reasons.reasons_as_of_date

),

keyed as (

    select
        *,
        {{ dbt.hash(dbt.concat(["entity_type", "'|'", "record_id"])) }} as record_hash,
        {{ dbt.hash(dbt.concat(["entity_type", "'|'", "record_id", "'|'", "cast(as_of_date as " ~ dbt.type_string() ~ ")"])) }} as score_hash
    from joined_to_reasons

),

final as (

    select
        score_hash as score_id,
        {{ dbt.concat([
            "substr(record_hash, 1, 8)", "'-'", "substr(record_hash, 9, 4)", "'-'", "substr(record_hash, 13, 4)",
            "'-'", "substr(record_hash, 17, 4)", "'-'", "substr(record_hash, 21, 12)"
        ]) }} as msdyn_predictivescoreid,
        record_id as msdyn_entityid,
        entity_type as msdyn_entitytype,
        {{ dbt.concat(["'Rapport '", "entity_type", "' score'"]) }} as msdyn_name,
        score as msdyn_score,
        case grade
            when 'A' then 0
            when 'B' then 1
            when 'C' then 2
            when 'D' then 3
        end as msdyn_grade,
        case trend
            when 'improving' then 0
            when 'steady' then 1
            when 'declining' then 2
            else 3
        end as msdyn_scoretrend,
        reasons_json as msdyn_scorereasons,
        change_json as score_change_json,
        as_of_date as msdyn_scoredon,
        reasons_as_of_date,
        model_name,
        model_version,
        status as scoring_status,
        status_reason as scoring_status_reason,
        probability
    from keyed

)

select * from final
