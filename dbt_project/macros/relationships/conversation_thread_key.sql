{#-
    The thread a message belongs to, from its conversation identifier.

    Dataverse's `conversationindex` is Outlook's PR_CONVERSATION_INDEX written as hex: a 22-byte header
    (44 hex digits) shared by the whole thread, then one 5-byte block (10 hex digits) per reply level. For
    such values the thread is the header; any other identifier (e.g. a thread id from a mail archive) is
    used as it is. Regular-expression functions differ between engines, hence the adapter dispatch.
-#}
{% macro conversation_thread_key(column) -%}
    {{ return(adapter.dispatch('conversation_thread_key', 'rapport')(column)) }}
{%- endmacro %}

{% macro default__conversation_thread_key(column) -%}
    case
        when {{ rapport_is_conversation_index(column) }}
            then substring({{ column }}, 1, 44)
        else {{ column }}
    end
{%- endmacro %}


{% macro rapport_is_conversation_index(column) -%}
    {{ return(adapter.dispatch('rapport_is_conversation_index', 'rapport')(column)) }}
{%- endmacro %}

{#- PostgreSQL and others with POSIX `~`. -#}
{% macro default__rapport_is_conversation_index(column) -%}
    ({{ column }} ~ '^([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*$')
{%- endmacro %}

{% macro duckdb__rapport_is_conversation_index(column) -%}
    regexp_full_match({{ column }}, '([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*')
{%- endmacro %}

{% macro spark__rapport_is_conversation_index(column) -%}
    ({{ column }} rlike '^([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*$')
{%- endmacro %}

{% macro trino__rapport_is_conversation_index(column) -%}
    regexp_like({{ column }}, '^([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*$')
{%- endmacro %}
