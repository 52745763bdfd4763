{#-
    Decode a Dataverse option-set code into its label, from the raw contract.

    The labels live once, in the `codes` meta of the column in models/staging/crm/_crm__sources.yml.
    Rapport's dbt runner passes them as the var `contract_option_sets` (read from that file); without
    it (plain `dbt` calls) they are read from the project graph. Renders a portable CASE.
    Custom option values (100000000 and up, a publisher's codes) decode to 'custom option <code>', their
    own level; other unknown codes decode to null (validation quarantines them before they reach the raw
    layer, except for columns whose contract keeps unknown codes).
-#}
{% macro decode_option_set(table_name, column_name, source_name='crm') -%}
    {%- set codes = rapport_option_set_codes(table_name, column_name, source_name) -%}
    {%- if codes | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        case
        {%- for code, label in codes %}
            when {{ column_name }} = {{ code }} then '{{ label | replace("'", "''") }}'
        {%- endfor %}
            when {{ column_name }} >= 100000000
                then {{ dbt.concat(["'custom option '", "cast(" ~ column_name ~ " as " ~ dbt.type_string() ~ ")"]) }}
        end
    {%- endif -%}
{%- endmacro %}


{% macro rapport_option_set_codes(table_name, column_name, source_name='crm') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set from_vars = var('contract_option_sets', none) -%}
    {%- if from_vars is not none -%}
        {%- set table_codes = from_vars.get(table_name) -%}
        {%- if table_codes is none or table_codes.get(column_name) is none -%}
            {{ exceptions.raise_compiler_error("decode_option_set: the contract has no option set " ~ table_name ~ "." ~ column_name) }}
        {%- endif -%}
        {%- set pairs = [] -%}
        {%- for code, label in table_codes[column_name].items() -%}
            {%- do pairs.append((code | int, label)) -%}
        {%- endfor -%}
        {{ return(pairs | sort) }}
    {%- endif -%}
    {%- set node_id = 'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name -%}
    {%- set node = graph.sources.get(node_id) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error("decode_option_set: no source " ~ source_name ~ "." ~ table_name) }}
    {%- endif -%}
    {%- set column = node.columns.get(column_name) -%}
    {%- if column is none -%}
        {{ exceptions.raise_compiler_error("decode_option_set: " ~ table_name ~ " has no column " ~ column_name ~ " in the contract") }}
    {%- endif -%}
    {%- set meta = column.meta if column.meta else column.config.meta -%}
    {%- set pairs = [] -%}
    {%- for code, label in (meta.get('codes') or {}).items() -%}
        {%- do pairs.append((code | int, label)) -%}
    {%- endfor -%}
    {{ return(pairs | sort) }}
{%- endmacro %}
