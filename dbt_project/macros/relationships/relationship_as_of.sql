{#-
    The run's as-of moment as a SQL timestamp literal.

    `rapport dbt ...` and the DAG pass `as_of` ('YYYY-MM-DD HH:MM:SS', UTC, normally midnight of the
    logical date). Everything a relationship model computes describes the state *before* this moment.
    Plain `dbt` calls without vars fall back to today's midnight (UTC), so `dbt parse`/`ls` always work.
-#}
{% macro relationship_as_of() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none -%}
        {{ dbt.date_trunc('day', dbt.current_timestamp()) }}
    {%- else -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#- The run's logical date (the as-of moment's calendar date) as a SQL date literal. -#}
{% macro relationship_as_of_date() -%}
    {%- set as_of_date = var('as_of_date', none) -%}
    {%- if as_of_date is none -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- else -%}
        cast('{{ as_of_date }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- The run's logical date as text 'YYYY-MM-DD' (for keys). -#}
{% macro relationship_as_of_date_text() -%}
    {%- set as_of_date = var('as_of_date', none) -%}
    {%- if as_of_date is none -%}
        cast(cast({{ dbt.current_timestamp() }} as date) as {{ dbt.type_string() }})
    {%- else -%}
        '{{ as_of_date }}'
    {%- endif -%}
{%- endmacro %}
