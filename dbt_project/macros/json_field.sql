{#- Text value of a top-level key of a JSON column. DuckDB by default; other adapters override
    `<adapter>__json_field` (e.g. Spark get_json_object, Trino json_extract_scalar). -#}
{% macro json_field(column, key) -%}
    {{ return(adapter.dispatch('json_field')(column, key)) }}
{%- endmacro %}

{% macro default__json_field(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_field(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro trino__json_field(column, key) -%}
    json_extract_scalar({{ column }}, '$.{{ key }}')
{%- endmacro %}
