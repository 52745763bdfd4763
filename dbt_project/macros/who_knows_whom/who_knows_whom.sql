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
    {#- `or []`: var() gives none only while dbt parses without --vars -#}
    {%- set opt_out = var('who_knows_whom_opt_out') or [] -%}
    {%- if opt_out | length == 0 -%}
        false
    {%- else -%}
        (lower({{ id_column }}) in {{ who_knows_whom_literal_list(opt_out) }}
            or coalesce(lower(trim({{ email_column }})), '') in {{ who_knows_whom_literal_list(opt_out) }})
    {%- endif -%}
{%- endmacro %}


{#-
    Strength 0-100 from a score: 100 * d / (d + 1), d = log2(1 + score / half_at) (how many times the score
    doubled past the start, in units of `who_knows_whom_strength_half_at`), one decimal, and at least 0.1 for any
    pair with a positive score (a relationship never rounds to nothing). half_at gives 50, 7x it 75, 63x 86,
    511x 90: every doubling of a strong relationship still moves its figure, where 1 - 0.5 ^ (score / half_at)
    showed every strong pair as 100.0. Per pair, not divided by the run's maximum, so a pair's figure does
    not move when other pairs change.
-#}
{% macro who_knows_whom_strength(total) -%}
    {%- set half_at = var('who_knows_whom_strength_half_at') | float -%}
    {%- set doublings = '(ln(1.0 + ' ~ total ~ ' / ' ~ half_at ~ ') / ln(2.0))' -%}
    case
        when {{ total }} > 0 and 100.0 * {{ doublings }} / ({{ doublings }} + 1.0) < 0.1
            then cast(0.1 as {{ dbt.type_numeric() }})
        else round(cast(100.0 * {{ doublings }} / ({{ doublings }} + 1.0) as {{ dbt.type_numeric() }}), 1)
    end
{%- endmacro %}


{#- Days from `first_at` to `as_of` (at least 1): the data's own span. -#}
{% macro who_knows_whom_span_days(first_at, as_of) -%}
    case
        when {{ dbt.datediff(first_at, as_of, 'second') }} / 86400.0 > 1
            then {{ dbt.datediff(first_at, as_of, 'second') }} / 86400.0
        else 1.0
    end
{%- endmacro %}


{#-
    The decay factor of an interaction at `occurred_at`, as of `as_of`: 0.5 ^ (age / half-life). The half-life
    is `who_knows_whom_half_life_days` when set (> 0), else `who_knows_whom_half_life_share` of the data's span
    (`span_days`), so a five-year archive and last quarter's CRM decay alike.
-#}
{% macro who_knows_whom_decay(occurred_at, as_of, span_days) -%}
    {%- set days = var('who_knows_whom_half_life_days') | float -%}
    {%- set share = var('who_knows_whom_half_life_share') | float -%}
    power(0.5, {{ dbt.datediff(occurred_at, as_of, 'second') }} / 86400.0
        / {{ days if days > 0 else '(' ~ (share | string) ~ ' * ' ~ span_days ~ ')' }})
{%- endmacro %}


{#-
    The "knows well" score of a pair: its weighted, decayed interactions raised for a sustained two-way
    relationship, weighted * (1 + two_way_bonus * balance) * (1 + threads_bonus * (1 - 1 / threads))
    * (1 + span_bonus * pair span / data span). balance = 2 min(out, in) / (out + in) counts e-mails each
    way, two-way contacts (meetings, answered calls) on both sides; 1 when only two-way contacts exist.
-#}
{% macro who_knows_whom_knows_score(weighted, sent, received, two_way, threads, first_at, last_at, span_days) -%}
    {{ weighted }}
    * (1.0 + {{ var('who_knows_whom_two_way_bonus') | float }} * case
        when {{ sent }} + {{ received }} + 2 * ({{ two_way }}) = 0 then 0.0
        else 2.0 * (case when {{ sent }} < {{ received }} then {{ sent }} else {{ received }} end + ({{ two_way }}))
            / ({{ sent }} + {{ received }} + 2 * ({{ two_way }}))
    end)
    * (1.0 + {{ var('who_knows_whom_threads_bonus') | float }} * (1.0 - 1.0 / {{ threads }}))
    * (1.0 + {{ var('who_knows_whom_span_bonus') | float }}
        * case
            when {{ dbt.datediff(first_at, last_at, 'second') }} / 86400.0 >= {{ span_days }} then 1.0
            else {{ dbt.datediff(first_at, last_at, 'second') }} / 86400.0 / {{ span_days }}
        end)
{%- endmacro %}
