{#-
    Hard deletes (issue 13): a record gone from a full export is gone from raw.* and from
    int_records_unioned; a history mart would otherwise keep its earlier rows for ever, and the mart's
    relationships test to int_records_unioned would fail on every later run. Run as a post-hook of the
    history marts, this removes the history of records that no longer exist, so history and records stay
    consistent (docs/extract_validate.md, "Hard deletes").
-#}
{% macro remove_deleted_records_sql(relation) -%}
    delete from {{ relation }}
    where not exists (
        select 1 from {{ ref('int_records_unioned') }} as records
        where records.record_key = {{ relation }}.record_key
    )
{%- endmacro %}
