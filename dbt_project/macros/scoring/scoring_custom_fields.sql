{#-
    Custom scoring fields: columns outside the contract, kept in raw by extraction and declared in
    rapport.toml under [scoring.<entity>.fields.<column>] with a `kind` (categorical | numeric). Rapport's
    dbt runner passes that section as the var `scoring_<entity>` ({"fields": {...}}). Each declared column
    flows as `custom_<column>` from staging to the features table, where ml.features reads it as a feature,
    and to the entity's dim (dim_leads / dim_opportunities), where an analyst groups KPIs by it; no SQL is
    edited to add one. A custom field with `use = false` is kept for analysis only (staging and the dim, not
    the model). Entries without a kind (e.g. `use = false` on a built-in feature) are not custom fields.
-#}

{#- The declared custom fields of `entity`: a list of (column, kind), sorted by column. -#}
{% macro scoring_custom_fields(entity) -%}
    {%- set declared = (var('scoring_' ~ entity) or {}).get('fields', {}) or {} -%}
    {%- set out = [] -%}
    {%- for column in declared | sort -%}
        {%- set spec = declared[column] -%}
        {%- if spec is mapping and spec.get('kind') -%}
            {%- do out.append((column | lower, spec.get('kind'))) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}


{#-
    Staging: the custom columns of `entity` read from the raw `relation`, as `custom_<column>` (categorical:
    trimmed text, '' as null; numeric: a number, text that is no number as null). A declared column the raw
    table lacks is null, with a warning in the dbt log. Renders a leading comma per column.
-#}
{% macro scoring_custom_field_columns(entity, relation) -%}
    {%- set fields = scoring_custom_fields(entity) -%}
    {%- if fields and execute -%}
        {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- for column, kind in fields %}
            {%- if column not in present %}
                {%- do exceptions.warn("scoring." ~ entity ~ ".fields." ~ column ~ ": raw." ~ entity ~ " has no column " ~ column ~ "; custom_" ~ column ~ " is empty (map or export the column, or remove the declaration)") %}
        , cast(null as {{ dbt.type_string() if kind == 'categorical' else dbt.type_float() }}) as custom_{{ column }}
            {%- elif kind == 'numeric' %}
        , {{ rapport_try_number(adapter.quote(column)) }} as custom_{{ column }}
            {%- else %}
        , nullif(trim(cast({{ adapter.quote(column) }} as {{ dbt.type_string() }})), '') as custom_{{ column }}
            {%- endif %}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{#- The `custom_<column>` names of `entity` prefixed with `alias.`, each after a comma (intermediate models). -#}
{% macro scoring_custom_field_names(entity, alias) -%}
    {%- for column, kind in scoring_custom_fields(entity) %}
        , {{ alias }}.custom_{{ column }}
    {%- endfor -%}
{%- endmacro %}


{#- A number from text, null when the text is not one (engine-specific: DuckDB's try_cast). -#}
{% macro rapport_try_number(expression) -%}
    {{ return(adapter.dispatch('rapport_try_number')(expression)) }}
{%- endmacro %}

{% macro default__rapport_try_number(expression) -%}
    cast(nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '') as {{ dbt.type_float() }})
{%- endmacro %}

{% macro duckdb__rapport_try_number(expression) -%}
    try_cast(nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '') as double)
{%- endmacro %}
