with

lead_insights as (

    select * from {{ ref('stg_ml__lead_attribute_insights') }}

),

opportunity_insights as (

    select * from {{ ref('stg_ml__opportunity_attribute_insights') }}

),

unioned as (

    select 'lead' as entity_type, model_name, model_version, trained_as_of, field, column_name, value_text,
        value_order, records, positives, rate, overall_rate, lift
    from lead_insights

    union all

    select 'opportunity' as entity_type, model_name, model_version, trained_as_of, field, column_name, value_text,
        value_order, records, positives, rate, overall_rate, lift
    from opportunity_insights

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "entity_type", "'|'", "model_version", "'|'", "column_name", "'|'",
            "cast(value_order as " ~ dbt.type_string() ~ ")"
        ])) }} as attribute_insight_id,
        entity_type,
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
        lift,
        round(100 * rate, 1) as rate_percent,
        round(100 * (rate - overall_rate), 1) as difference_points
    from unioned

)

select * from final
