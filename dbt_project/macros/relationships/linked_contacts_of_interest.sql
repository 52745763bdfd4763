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
