{#-
    The combination of `combination_of_columns` is unique: no two rows share all of their values.
    Fails with one row per duplicated combination (and how often it occurs).

    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [lead_id, as_of_date]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    select
        {% for column in combination_of_columns -%}
        {{ column }}{% if not loop.last %},{% endif %}
        {% endfor -%},
        count(*) as occurrences
    from {{ model }}
    group by
        {% for column in combination_of_columns -%}
        {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    having count(*) > 1

{% endtest %}
