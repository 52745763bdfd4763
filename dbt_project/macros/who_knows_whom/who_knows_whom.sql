{#-
    Helpers of the who-knows-whom models (docs/who_knows_whom.md).
-#}

{#- A SQL list of lower-cased string literals, e.g. ('a@x.org', 'b@x.org'); ('') for an empty list. -#}
{% macro who_knows_whom_literal_list(values) -%}
    {%- set items = [] -%}
    {%- for value in values -%}
        {%- do items.append("'" ~ (value | string | trim | lower | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    ({{ items | join(', ') if items else "''" }})
{%- endmacro %}


{#-
    True when a colleague is listed in `who_knows_whom_opt_out` by systemuser id or e-mail address
    (case-insensitive). Such colleagues never appear in the who-knows-whom models.
-#}
{% macro who_knows_whom_is_opted_out(id_column, email_column) -%}
    {%- set opt_out = var('who_knows_whom_opt_out', []) -%}
    {%- if opt_out | length == 0 -%}
        false
    {%- else -%}
        (lower({{ id_column }}) in {{ who_knows_whom_literal_list(opt_out) }}
            or coalesce(lower(trim({{ email_column }})), '') in {{ who_knows_whom_literal_list(opt_out) }})
    {%- endif -%}
{%- endmacro %}


{#-
    Strength 0-100 from a weighted, decayed interaction total: 100 * (1 - 0.5 ^ (total / half_at)).
    Saturating, not divided by the run's maximum, so a pair's figure does not move when other pairs change;
    `who_knows_whom_strength_half_at` is the total that gives 50.
-#}
{% macro who_knows_whom_strength(total) -%}
    round(cast(100.0 * (1.0 - power(0.5, {{ total }} / {{ var('who_knows_whom_strength_half_at', 10.0) | float }}))
        as {{ dbt.type_numeric() }}), 1)
{%- endmacro %}


{#- The decay factor of an interaction at `occurred_at`, as of `as_of` (half-life `who_knows_whom_half_life_days`). -#}
{% macro who_knows_whom_decay(occurred_at, as_of) -%}
    power(0.5, {{ dbt.datediff(occurred_at, as_of, 'second') }} / 86400.0
        / {{ var('who_knows_whom_half_life_days', 90) | float }})
{%- endmacro %}
