{#- What an incremental run of fct_record_activities rebuilds (issue 17: its cost follows the change).

    The mart has one row per record and activity, which depends on the link, the activity and the as-of
    moment only. A run deletes (pre-hook) and inserts again
      - every row of an activity in a batch of the link model's change log (link_changes_relation) newer
        than the one this mart last read: the activity was re-linked (new, modified, or its people's
        contacts of interest changed), so its rows may have come, gone or changed;
      - when the as-of moment moved since the last run (kept in `<this>__state`, with the last batch read):
        every row of an activity that happened, was planned, created or modified, or whose link began,
        between the two moments (the only rows whose is_done / is_upcoming or presence can differ), and
        every row of a record created between them;
      - every row of every record after a logged full refresh of the links (a null activity_sk).
    Rows of records no longer at the as-of moment (hard-deleted, or an earlier as-of) are deleted; the
    as_of_date of the rows kept is set to the run's. Without a state (the first incremental run of a
    warehouse built before it), and on a full refresh, every record counts as rebuilt. -#}

{% macro record_activities_state_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__state'
    )) }}
{%- endmacro %}


{% macro record_activities_affected_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__affected'
    )) }}
{%- endmacro %}


{% macro record_activities_has_state() -%}
    {#- The state of the last run (from dbt's cache of relations: it was written by an earlier invocation). -#}
    {%- set state = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=record_activities_state_relation().identifier
    ) -%}
    {{ return(state is not none) }}
{%- endmacro %}


{% macro record_activities_affected_sql() -%}
    {#- What the run rebuilds (see the header): rows with an activity_sk (every row of that activity) or with
        a record_sk (every row of that record), the other column null. -#}
    {%- set records = ref('int_records_pinned_to_as_of') %}
    {%- set links = ref('int_activities_linked_to_records') %}
    {%- set activities = ref('int_activities_attributed') %}
    {%- set as_of = relationship_as_of() %}
    {%- set no_key = 'cast(null as ' ~ dbt.type_bigint() ~ ')' %}
    {%- if not is_incremental() or not record_activities_has_state() %}
    select record_sk, {{ no_key }} as activity_sk from {{ records }}
    {%- else %}
    with

    state as (

        select as_of_at, link_batch_number from {{ record_activities_state_relation() }}

    ),

    pending as (

        select activity_sk from {{ link_changes_relation(links) }}
        where batch_number > (select link_batch_number from state)

    ),

    moved as (

        -- the span between the previous as-of moment and this one, in either direction (empty if equal)
        select
            case when as_of_at < {{ as_of }} then as_of_at else {{ as_of }} end as from_at,
            case when as_of_at < {{ as_of }} then {{ as_of }} else as_of_at end as to_at
        from state

    ),

    activities_rebuilt as (

        -- re-linked since the last run
        select activity_sk from pending where activity_sk is not null

        union

        -- happened, planned, created or modified (a cancellation) between the two as-of moments
        select activities.activity_sk
        from {{ activities }} as activities
        cross join moved
        where (activities.occurred_at >= moved.from_at and activities.occurred_at < moved.to_at)
            or (activities.planned_at >= moved.from_at and activities.planned_at < moved.to_at)
            or (activities.created_at >= moved.from_at and activities.created_at < moved.to_at)
            or (activities.modified_at >= moved.from_at and activities.modified_at < moved.to_at)

        union

        -- a link that began between the two moments
        select links.activity_sk
        from {{ links }} as links
        cross join moved
        where links.linked_from_at >= moved.from_at and links.linked_from_at < moved.to_at

    ),

    records_rebuilt as (

        -- a logged full refresh of the links: every record
        select record_sk from {{ records }}
        where exists (select 1 from pending where activity_sk is null)

        union

        -- created between the two moments
        select records.record_sk
        from {{ records }} as records
        cross join moved
        where records.created_at >= moved.from_at and records.created_at < moved.to_at

    )

    select {{ no_key }} as record_sk, activity_sk from activities_rebuilt
    union all
    select record_sk, {{ no_key }} as activity_sk from records_rebuilt
    {%- endif %}
{%- endmacro %}


{% macro record_activities_rebuilt_sql(row) -%}
    {#- SQL condition: the row (a link or a row of the mart, alias `row`) is one the run rebuilds. -#}
    {%- set affected = record_activities_affected_relation() %}
    ({{ row }}.activity_sk in (select activity_sk from {{ affected }} where activity_sk is not null)
        or {{ row }}.record_sk in (select record_sk from {{ affected }} where record_sk is not null))
{%- endmacro %}


{% macro record_activities_delete_sql() -%}
    {#- Pre-hook: the rows the run rebuilds or that no longer count, and the as-of date of the rest. -#}
    {%- if is_incremental() %}
    {%- if record_activities_has_state() %}
    delete from {{ this }} as built
    where {{ record_activities_rebuilt_sql('built') }}
        or built.record_sk not in (select record_sk from {{ ref('int_records_pinned_to_as_of') }})
    {%- else %}
    delete from {{ this }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{% macro record_activities_as_of_date_sql() -%}
    {%- if is_incremental() %}
    {#- as the model writes it: the as-of moment's date -#}
    update {{ this }} set as_of_date = cast({{ relationship_as_of() }} as date)
    where as_of_date <> cast({{ relationship_as_of() }} as date)
    {%- endif %}
{%- endmacro %}


{% macro record_activities_state_sql() -%}
    {#- Post-hook: the as-of moment and the last batch of the link change log this run read. -#}
    {#- (the log exists: the pre-hook created it if the link model had not; the state reads it, not dbt's
        cache of relations, which does not know tables a hook created during the same invocation) -#}
    select
        {{ relationship_as_of() }} as as_of_at,
        (select coalesce(max(batch_number), 0) from {{ link_changes_relation(ref('int_activities_linked_to_records')) }})
            as link_batch_number
{%- endmacro %}
