{#-
    Building blocks of the scoring features (fct_lead_features, fct_opportunity_features).
    Portable SQL only: dbt's cross-database macros, CASE, lower/trim/replace/substring.
-#}


{#- Days (fractional) from `start_at` to `end_at`; negative when `end_at` is earlier. -#}
{% macro scoring_days_between(start_at, end_at) -%}
    ({{ dbt.datediff(start_at, end_at, 'second') }} / 86400.0)
{%- endmacro %}


{#- The domain of an e-mail address, lower case ('' when there is no '@'; engines differ: null or ''). -#}
{% macro scoring_email_domain(email) -%}
    coalesce(lower(trim({{ dbt.split_part(email, "'@'", 2) }})), '')
{%- endmacro %}


{#-
    What kind of address an e-mail is: 'missing', 'free mail' (its domain is one of rapport.toml's
    `[mail] free_mail_domains`, see the free_mail_domains macro) or 'company domain'.
-#}
{% macro scoring_email_kind(email) -%}
    case
        when {{ email }} is null or trim({{ email }}) = '' or {{ scoring_email_domain(email) }} = '' then 'missing'
        when {{ scoring_email_domain(email) }} in {{ free_mail_domains() }} then 'free mail'
        else 'company domain'
    end
{%- endmacro %}


{#- Placeholder words people type into name fields to get past a form. -#}
{% macro scoring_placeholder_words() -%}
    {{ return([
        'test', 'testing', 'tester', 'asdf', 'asd', 'qwerty', 'none', 'null', 'na', 'n/a', 'unknown',
        'abc', 'xxx', 'foo', 'bar', 'dummy', 'fake', 'sample', 'nobody', 'anonymous', '测试', '无', '未知'
    ]) }}
{%- endmacro %}


{#- Made-up full names (first + ' ' + last, lower case). -#}
{% macro scoring_placeholder_names() -%}
    {{ return(['john doe', 'jane doe', 'mickey mouse', 'donald duck', 'test user', 'first last']) }}
{%- endmacro %}


{#- `text` without its digits 0-9 (nested replace: portable, unlike safe_cast, which dbt-duckdb renders as a plain cast). -#}
{% macro scoring_strip_digits(text) -%}
    {%- set expression = namespace(sql=text) -%}
    {%- for digit in range(10) -%}
        {%- set expression.sql = "replace(" ~ expression.sql ~ ", '" ~ digit ~ "', '')" -%}
    {%- endfor -%}
    {{ expression.sql }}
{%- endmacro %}


{#- True when one name part is a placeholder: a listed word, all digits, or one character repeated (aaa). -#}
{% macro scoring_is_placeholder_part(part) -%}
    (
        lower(trim({{ part }})) in (
            {%- for word in scoring_placeholder_words() %}'{{ word }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
        or {{ scoring_strip_digits('trim(' ~ part ~ ')') }} = ''
        or (
            {{ dbt.length('trim(' ~ part ~ ')') }} >= 2
            and replace(lower(trim({{ part }})), substring(lower(trim({{ part }})), 1, 1), '') = ''
        )
    )
{%- endmacro %}


{#-
    Whether a person's name looks real: 'missing' (no first nor last name), 'placeholder' (both parts
    equal, as in "test test"; a placeholder word, digits or a repeated letter in either part; a made-up
    name such as "john doe"), else 'plausible'.
-#}
{% macro scoring_name_kind(first_name, last_name) -%}
    case
        when coalesce(trim({{ first_name }}), '') = '' and coalesce(trim({{ last_name }}), '') = '' then 'missing'
        when lower(trim({{ first_name }})) = lower(trim({{ last_name }})) then 'placeholder'
        when {{ scoring_is_placeholder_part(first_name) }} then 'placeholder'
        when {{ scoring_is_placeholder_part(last_name) }} then 'placeholder'
        when {{ dbt.concat(['lower(trim(' ~ first_name ~ '))', "' '", 'lower(trim(' ~ last_name ~ '))']) }} in (
            {%- for name in scoring_placeholder_names() %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        ) then 'placeholder'
        else 'plausible'
    end
{%- endmacro %}


{#- 'given' when a text field holds something, else 'missing'. -#}
{% macro scoring_given(column) -%}
    case when {{ column }} is null or trim({{ column }}) = '' then 'missing' else 'given' end
{%- endmacro %}


{#-
    The relationship features of one record at its moment, from a row of int_relationship_kpis_at_moments
    (`kpis`) and one of health_components (`health`) at `moment` (the row's feature_at). The names, fields and labels
    are declared once per features model in its YAML (meta.feature).
-#}
{% macro scoring_relationship_features(kpis='kpis', health='health', moment='feature_at') -%}
    {{ kpis }}.emails_sent_last_n_days_count as emails_sent_last_n_days_count,
    {{ kpis }}.emails_received_last_n_days_count as emails_received_last_n_days_count,
    {{ kpis }}.emails_sent_count as emails_sent_count,
    {{ kpis }}.emails_received_count as emails_received_count,
    {{ kpis }}.meetings_sent_last_n_days_count + {{ kpis }}.meetings_received_last_n_days_count
        as meetings_held_last_n_days_count,
    {{ kpis }}.meetings_sent_count + {{ kpis }}.meetings_received_count as meetings_held_count,
    {{ kpis }}.calls_made_last_n_days_count as calls_made_last_n_days_count,
    {{ kpis }}.calls_received_last_n_days_count as calls_received_last_n_days_count,
    {{ kpis }}.tasks_count as tasks_count,
    case
        when {{ kpis }}.activity_count - {{ kpis }}.tasks_count > 0
            then 1.0 * {{ kpis }}.customer_initiated_count / ({{ kpis }}.activity_count - {{ kpis }}.tasks_count)
    end as customer_initiated_share,
    {{ kpis }}.customer_initiated_last_n_days_count as customer_initiated_last_n_days_count,
    {{ kpis }}.avg_response_hours_ours as avg_response_hours_ours,
    {{ kpis }}.avg_response_hours_theirs as avg_response_hours_theirs,
    {{ kpis }}.customer_response_rate as customer_response_rate,
    {{ scoring_days_between(kpis ~ '.last_activity_ours_at', moment) }} as days_since_our_last_activity,
    {{ scoring_days_between(kpis ~ '.last_activity_theirs_at', moment) }} as days_since_their_last_activity,
    {{ scoring_days_between(moment, kpis ~ '.next_activity_ours_at') }} as days_until_our_next_activity,
    {{ kpis }}.hours_ours_last_n_days as hours_ours_last_n_days,
    {{ kpis }}.hours_theirs_last_n_days as hours_theirs_last_n_days,
    {{ kpis }}.hours_ours as hours_ours,
    {{ kpis }}.hours_theirs as hours_theirs,
    {{ health }}.health_score as health_score,
    {{ health }}.volume_component as volume_component,
    {{ health }}.recency_component as recency_component,
    {{ health }}.reciprocity_component as reciprocity_component,
    {{ health }}.responsiveness_component as responsiveness_component
{%- endmacro %}
