{#- The change log of int_activities_linked_to_records (issue 17: marts whose daily cost follows the change).

    Each incremental run of the link model re-links a batch of activities (delete+insert on activity_sk:
    new, modified, or whose people's contacts of interest changed). Its pre-hook appends that batch to
    `<link table>__changes`, one row per activity with the run's batch_number (1, 2, ...), in the same
    transaction as the links themselves. A full refresh appends one row with a null activity_sk: every link
    may have changed. A mart built from the links (fct_record_activities) remembers the last batch_number it
    read and rebuilds only the records of the activities logged since, so it never misses a batch, even
    when it did not run (or failed) on the day the links changed. -#}

{% macro link_changes_relation(links) -%}
    {{ return(api.Relation.create(
        database=links.database, schema=links.schema, identifier=links.identifier ~ '__changes'
    )) }}
{%- endmacro %}


{% macro link_changes_create_sql(links=this) -%}
    {#- Pre-hook of the link model and of the marts that read the log (so it exists before they read it). -#}
    create table if not exists {{ link_changes_relation(links) }} (
        batch_number {{ dbt.type_int() }},
        activity_sk {{ dbt.type_bigint() }}
    )
{%- endmacro %}


{% macro link_changes_batch_relation() -%}
    {#- This run's batch of the link model (computed by its pre-hook, read by its SQL). -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__batch'
    )) }}
{%- endmacro %}


{% macro link_changes_batch_sql(batch_sql) -%}
    {#- Pre-hook: this run's batch as a table (`batch_sql`: a select of the activity_sk it re-links). -#}
    {%- if is_incremental() %}
    {{ get_create_table_as_sql(False, link_changes_batch_relation(), batch_sql) }}
    {%- endif %}
{%- endmacro %}


{% macro link_changes_append_sql() -%}
    {#- Pre-hook: appends this run's batch to the change log; on a full refresh, one null activity_sk
        (every link may have changed). -#}
    {%- set changes = link_changes_relation(this) %}
    insert into {{ changes }} (batch_number, activity_sk)
    select
        (select coalesce(max(batch_number), 0) + 1 from {{ changes }}) as batch_number,
        batch.activity_sk
    from (
        {%- if is_incremental() %}
        select activity_sk from {{ link_changes_batch_relation() }}
        {%- else %}
        select cast(null as {{ dbt.type_bigint() }}) as activity_sk
        {%- endif %}
    ) as batch
{%- endmacro %}
