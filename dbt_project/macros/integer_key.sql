{#-
    An integer surrogate key (64-bit, bigint) of one or more text columns: the same values give the same key
    in every model and every run (so incremental models can store it), and joins and group-bys on it are
    far cheaper than on text keys built by concatenation. Null when any column is null. Keys are hashes:
    the models that store them test them unique, so a collision (odds ~1e-6 at 10 M keys) fails the build
    loudly instead of merging two rows. What differs per engine is the hash function: dispatched.
-#}
{% macro integer_key(columns) -%}
    {{ return(adapter.dispatch('integer_key')(columns)) }}
{%- endmacro %}

{% macro integer_key_guard(columns, key) -%}
    case when {{ columns | join(' is not null and ') }} is not null then {{ key }} end
{%- endmacro %}

{#- DuckDB: hash() is an unsigned 64-bit hash; shifted into the signed range so it fits a bigint. -#}
{% macro default__integer_key(columns) -%}
    {{ integer_key_guard(columns, 'cast(hash(' ~ columns | join(', ') ~ ') >> 1 as bigint)') }}
{%- endmacro %}

{% macro spark__integer_key(columns) -%}
    {{ integer_key_guard(columns, 'xxhash64(' ~ columns | join(', ') ~ ')') }}
{%- endmacro %}

{% macro trino__integer_key(columns) -%}
    {{ integer_key_guard(
        columns,
        'from_big_endian_64(xxhash64(to_utf8(' ~ columns | join(" || chr(31) || ") ~ ')))'
    ) }}
{%- endmacro %}

{% macro postgres__integer_key(columns) -%}
    {{ integer_key_guard(columns, 'hashtextextended(concat_ws(chr(31), ' ~ columns | join(', ') ~ '), 0)') }}
{%- endmacro %}
