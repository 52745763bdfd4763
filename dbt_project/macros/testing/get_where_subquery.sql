{#- What a generic data test reads (dbt's documented override of get_where_subquery, see
    https://docs.getdbt.com/reference/resource-configs/where).

    On a daily run `rapport` sets the var `test_batch_since` (the incremental watermark before the build, see
    docs/relationship_analytics.md, "The daily run and the re-run with nothing new"): a test of an incremental
    relationship model with a `modified_at` column then reads only the new batch, rows with modified_at >= that moment (and
    the test's own `where` config, if any). A model rebuilt by activity or record (meta `batch_tests: rebuilt_rows`,
    fct_record_activities) reads only the rows its run rebuilt (activities or records in `<model>__affected`).
    Otherwise, and for every other model, dbt's default behaviour. -#}
{% macro get_where_subquery(relation) -%}
    {%- set since = var('test_batch_since', none) -%}
    {%- if execute and since and rapport_is_batch_tested(relation) -%}
        {%- set where = config.get('where', '') -%}
        {%- set filtered -%}
            (select * from {{ relation }}
             where modified_at >= cast({{ dbt.string_literal(since) }} as {{ dbt.type_timestamp() }})
             {%- if where %} and ({{ where }}){% endif %}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- if execute and since and rapport_tests_rebuilt_rows(relation) -%}
        {%- set where = config.get('where', '') -%}
        {%- set rebuilt = api.Relation.create(
            database=relation.database, schema=relation.schema, identifier=relation.identifier ~ '__affected'
        ) -%}
        {%- set filtered -%}
            (select * from {{ relation }}
             where (activity_sk in (select activity_sk from {{ rebuilt }} where activity_sk is not null)
                or record_sk in (select record_sk from {{ rebuilt }} where record_sk is not null))
             {%- if where %} and ({{ where }}){% endif %}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) -%}
{%- endmacro %}

{#- Whether `relation` is an incremental relationship model of this project (models/*/relationships/) with a
    `modified_at` column: the activity watermark `test_batch_since` means nothing to other models. -#}
{% macro rapport_is_batch_tested(relation) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and 'relationships' in node.fqn
        and (node.alias or node.name) | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- do return('modified_at' in names) -%}
    {%- endfor -%}
    {%- do return(false) -%}
{%- endmacro %}

{#- Whether `relation` is a model whose run leaves the activity_sk and record_sk whose rows it rebuilt in
    `<model>__affected` (config meta `batch_tests: rebuilt_rows`). -#}
{% macro rapport_tests_rebuilt_rows(relation) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and node.config.meta.get('batch_tests') == 'rebuilt_rows'
        and (node.alias or node.name) | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- do return(true) -%}
    {%- endfor -%}
    {%- do return(false) -%}
{%- endmacro %}
