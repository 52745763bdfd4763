{#- The contacts of interest that int_activities_linked_to_records' links were built from (issue 17).

    The link model keeps a copy of them beside itself, written by its post-hook in the same transaction as
    its rows, and its next incremental run re-links only the activities of people whose rows differ from
    that copy (compared between runs, not by modified dates). -#}

{% macro linked_contacts_of_interest_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__contacts_of_interest'
    )) }}
{%- endmacro %}


{% macro linked_contacts_of_interest_sql() -%}
    {#- One row per record, person, side and the moments the link holds from: all a link depends on
        besides the activity and its participants (their changes come through the activity's watermark). -#}
    {%- set epoch = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}
    select distinct
        contacts_of_interest.record_sk,
        contacts_of_interest.person_sk,
        contacts_of_interest.side,
        coalesce(contacts_of_interest.valid_from_at, {{ epoch }}) as valid_from_at,
        {{ link_counts_from_at('contacts_of_interest', 'records') }} as counts_from_at
    from {{ ref('int_record_contacts_of_interest') }} as contacts_of_interest
    inner join {{ ref('int_records_unioned') }} as records
        on contacts_of_interest.record_sk = records.record_sk
{%- endmacro %}



{% macro link_counts_from_at(contacts_of_interest, records) -%}
    {#- Through people, an activity counts for a lead or an opportunity only from the record's creation
        (an e-mail with the same contact a year before the deal existed is not about it); for accounts and
        contacts from the start. -#}
    case
        when {{ contacts_of_interest }}.record_type in ('lead', 'opportunity') then {{ records }}.created_at
        else cast('1900-01-01' as {{ dbt.type_timestamp() }})
    end
{%- endmacro %}


{% macro linked_activities_batch_sql() -%}
    {#- The activities int_activities_linked_to_records' incremental run re-links (read before the run
        changes anything, by its pre-hook):
          - the activities changed since the newest one already linked (the watermark),
          - every activity in which a customer-side person takes part whose contact-of-interest rows differ
            from those the links were last built from (the copy linked_contacts_of_interest_relation),
          - every activity of the customer-side people of a record whose internal contacts of interest
            differ (a new owner, a sales-team change). -#}
    {%- set participants = ref('int_activity_participants_resolved') %}
    {%- set copy = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=linked_contacts_of_interest_relation().identifier
    ) %}
with

watermark as (

    select max(activity_modified_at) as modified_at from {{ this }}

),

interest_now as (

    {{ linked_contacts_of_interest_sql() }}

),

interest_before as (

    {%- if copy is not none %}
    select record_sk, person_sk, side, valid_from_at, counts_from_at from {{ copy }}
    {%- else %}
    -- no copy yet (a warehouse built before it): every contact of interest counts as changed, once
    select record_sk, person_sk, side, valid_from_at, counts_from_at from interest_now where 1 = 0
    {%- endif %}

),

interest_added as (

    select record_sk, person_sk, side, valid_from_at, counts_from_at from interest_now
    except
    select record_sk, person_sk, side, valid_from_at, counts_from_at from interest_before

),

interest_removed as (

    select record_sk, person_sk, side, valid_from_at, counts_from_at from interest_before
    except
    select record_sk, person_sk, side, valid_from_at, counts_from_at from interest_now

),

interest_changed as (

    select record_sk, person_sk, side from interest_added
    union all
    select record_sk, person_sk, side from interest_removed

),

records_with_internal_changes as (

    select distinct record_sk from interest_changed where side = 'ours'

),

people_changed as (

    -- a link through people needs a customer contact of interest taking part: the activities that can
    -- gain or lose a link are those of the customer-side people whose rows changed (added or removed),
    -- and of every customer-side person of a record whose internal side changed
    select person_sk from interest_changed where side = 'theirs'
    union
    select interest_now.person_sk
    from interest_now
    inner join records_with_internal_changes
        on interest_now.record_sk = records_with_internal_changes.record_sk
    where interest_now.side = 'theirs'

),

batch as (

    select activity_sk from {{ ref('int_activities_attributed') }}
    where modified_at >= (select modified_at from watermark)
    union
    select participants.activity_sk
    from {{ participants }} as participants
    inner join people_changed
        on participants.person_sk = people_changed.person_sk
    where participants.takes_part

)

select activity_sk from batch
{%- endmacro %}
