-- Records that notes analysis suggests creating, one row per suggestion, with the pre-filled
-- date-times pulled out of the fields JSON for analysts (local time of [notes] timezone, offset dropped).
with

note_suggestions as (
    select * from {{ ref('stg_enrich__note_suggestions') }}
),

final as (
    select
        {{ dbt.hash(dbt.concat(["source_table", "'|'", "source_id", "'|'", dbt.safe_cast("suggestion_index", api.Column.translate_type("string"))])) }}
            as note_suggestion_id,
        source_id,
        source_table,
        case when source_table = 'annotation' then 'note' else 'activity' end as source_kind,
        regarding_id,
        regarding_type,
        suggestion_index,
        suggestion_type,
        span_start,
        span_end,
        matched_text,
        language,
        {{ json_field('fields', 'subject') }} as subject,
        cast(fields as {{ api.Column.translate_type("string") }}) as fields_json,
        {{ dbt.safe_cast("substr(" ~ json_field('fields', 'start') ~ ", 1, 19)", api.Column.translate_type("timestamp")) }}
            as suggested_start_at,
        {{ dbt.safe_cast("substr(" ~ json_field('fields', 'end') ~ ", 1, 19)", api.Column.translate_type("timestamp")) }}
            as suggested_end_at,
        {{ dbt.safe_cast("substr(" ~ json_field('fields', 'due') ~ ", 1, 19)", api.Column.translate_type("timestamp")) }}
            as suggested_due_at,
        confidence,
        source_modified_at,
        analysed_at,
        ds as analysed_date
    from note_suggestions
)

select * from final
