{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#-
    A history: each run writes the rows of its as-of date (delete+insert on as_of_date, so re-running a
    date replaces its rows). The rows, their moments and their point-in-time features:
    macros/scoring/scoring_features_at_moments.sql (shared with the other scoring target).
-#}

{{ scoring_features_at_moments('lead', ref('int_leads_profiled_at_moments')) }}
