{{
    config(
        materialized='incremental',
        unique_key='activity_sk',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ link_changes_create_sql() }}",
            "drop table if exists {{ link_changes_batch_relation() }}",
            "{{ link_changes_batch_sql(linked_activities_batch_sql()) }}",
            "{{ link_changes_append_sql() }}",
        ],
        post_hook=[
            "drop table if exists {{ link_changes_batch_relation() }}",
            "drop table if exists {{ linked_contacts_of_interest_relation() }}",
            "{{ get_create_table_as_sql(False, linked_contacts_of_interest_relation(), linked_contacts_of_interest_sql()) }}",
        ]
    )
}}

{#-
    An activity counts for a record when it is regarding the record, or when one of the record's
    customer contacts of interest takes part together with one of its internal contacts of interest
    (any colleague for accounts and contacts); through people, an activity counts for a lead or an
    opportunity only when it happened (or is planned, or was created) at or after the record's creation.

    Incremental: a run re-links (delete+insert on activity_sk)
      - the activities changed since the newest one already linked (the watermark),
      - every activity in which a customer-side person takes part whose contact-of-interest rows differ
        from those the links were last built from (a new or removed stakeholder, a contact moved to
        another account, a changed record creation), compared row by row with the copy the post-hook
        keeps (linked_contacts_of_interest_relation), not by modified dates,
      - every activity of the customer-side people of a record whose internal contacts of interest
        differ (a new owner, a sales-team change).
    The batch is computed by the pre-hook (linked_activities_batch_sql, into `<this>__batch`) and logged in
    `<this>__changes` (link_changes_relation), which the marts built from the links read to rebuild only
    the records whose links changed. Full refresh gives the same rows (tested).

    Joins and group-bys run on integer surrogate keys (activity_sk, record_sk, person_sk, see the
    integer_key macro); the customer-side join (participants x customer contacts of interest) runs once,
    and the colleague check of leads and opportunities starts from its grouped result.
-#}

{%- set epoch = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}
{#- Large relations are referenced directly, never through a CTE used several times: an engine may
    materialise such a CTE in memory (DuckDB does), which at 10 M activities does not fit. -#}
{%- set participants = ref('int_activity_participants_resolved') %}
{%- set batch_activities = 'batch_activities' if is_incremental() else ref('int_activities_attributed') %}

with

-- read only in the incremental branch, hence the noqa
activities as (  -- noqa: ST03

    -- only the columns linking needs: this CTE is read several times and large tables are wide
    select
        activity_sk,
        activity_id,
        regarding_type,
        regarding_id,
        our_participant_count,
        occurred_at,
        planned_at,
        created_at,
        modified_at
    from {{ ref('int_activities_attributed') }}

),

contacts_of_interest as (

    select
        record_sk,
        record_type,
        record_id,
        person_sk,
        side,
        valid_from_at
    from {{ ref('int_record_contacts_of_interest') }}

),

records as (

    select record_sk, created_at from {{ ref('int_records_unioned') }}

),

{% if is_incremental() %}
batch as (

    -- computed by the pre-hook (link_changes_batch_sql) before this run changes anything, and logged
    select activity_sk from {{ link_changes_batch_relation() }}

),

batch_activities as (

    select activities.*
    from activities
    inner join batch
        on activities.activity_sk = batch.activity_sk

),

{% endif %}

customer_contacts_of_interest as (

    select
        contacts_of_interest.record_sk,
        contacts_of_interest.record_type,
        contacts_of_interest.record_id,
        contacts_of_interest.person_sk,
        coalesce(contacts_of_interest.valid_from_at, {{ epoch }}) as valid_from_at,
        {{ link_counts_from_at('contacts_of_interest', 'records') }} as counts_from_at
    from contacts_of_interest
    inner join records
        on contacts_of_interest.record_sk = records.record_sk
    where contacts_of_interest.side = 'theirs'

),

candidates as (

    -- driven from the customer's side (a contact is of interest to few records, a colleague to many):
    -- each customer contact of interest taking part, and each regarding record, is a candidate link.
    -- This is the only customer-side join of the model.
    select
        activities.activity_sk,
        customer_contacts_of_interest.record_sk,
        activities.activity_id,
        customer_contacts_of_interest.record_type,
        customer_contacts_of_interest.record_id,
        activities.our_participant_count,
        activities.modified_at as activity_modified_at,
        1 as is_customer,
        0 as is_regarding,
        customer_contacts_of_interest.valid_from_at as customer_from_at
    from {{ batch_activities }} as activities
    inner join {{ participants }} as participants
        on activities.activity_sk = participants.activity_sk
    inner join customer_contacts_of_interest
        on participants.person_sk = customer_contacts_of_interest.person_sk
    where participants.takes_part
        and participants.side = 'theirs'
        and coalesce(activities.occurred_at, activities.planned_at, activities.created_at)
            >= customer_contacts_of_interest.counts_from_at

    union all

    select
        activity_sk,
        {{ integer_key(['regarding_type', 'regarding_id']) }} as record_sk,
        activity_id,
        regarding_type as record_type,
        regarding_id as record_id,
        our_participant_count,
        modified_at as activity_modified_at,
        0 as is_customer,
        1 as is_regarding,
        cast(null as {{ dbt.type_timestamp() }}) as customer_from_at
    from {{ batch_activities }}
    where regarding_type in ('lead', 'opportunity', 'account', 'contact')
        and regarding_id is not null

),

pairs as (

    -- grouped on the two integer keys; the text ids ride along (one value per group)
    select
        activity_sk,
        record_sk,
        min(activity_id) as activity_id,
        min(record_type) as record_type,
        min(record_id) as record_id,
        max(our_participant_count) as our_participant_count,
        max(activity_modified_at) as activity_modified_at,
        max(is_customer) as is_customer,
        max(is_regarding) as is_regarding,
        min(customer_from_at) as customer_from_at
    from candidates
    group by activity_sk, record_sk

),

internal_people_taking_part as (

    -- leads and opportunities need one of their own colleagues (owner, sales team) to take part too;
    -- starts from the customer-side pairs found above instead of joining the customer side again
    select
        pairs.activity_sk,
        pairs.record_sk,
        min(coalesce(contacts_of_interest.valid_from_at, {{ epoch }})) as internal_from_at
    from pairs
    inner join {{ participants }} as colleagues
        on pairs.activity_sk = colleagues.activity_sk
    inner join contacts_of_interest
        on pairs.record_sk = contacts_of_interest.record_sk
        and colleagues.person_sk = contacts_of_interest.person_sk
    where pairs.is_customer = 1
        and pairs.record_type in ('lead', 'opportunity')
        and colleagues.takes_part
        and colleagues.side = 'ours'
        and contacts_of_interest.side = 'ours'
    group by pairs.activity_sk, pairs.record_sk

),

links as (

    select
        pairs.activity_sk,
        pairs.record_sk,
        pairs.record_type,
        pairs.record_id,
        pairs.activity_id,
        pairs.is_regarding = 1 as is_regarding,
        pairs.is_customer = 1 and (
            internal_people_taking_part.activity_sk is not null
            -- accounts and contacts: any colleague is an internal contact of interest
            or (pairs.record_type in ('account', 'contact') and pairs.our_participant_count > 0)
        ) as is_via_contact_of_interest,
        -- the link holds once both a customer and an internal contact of interest were linked
        case
            when internal_people_taking_part.internal_from_at is null
                or pairs.customer_from_at > internal_people_taking_part.internal_from_at
                then pairs.customer_from_at
            else internal_people_taking_part.internal_from_at
        end as linked_from_at,
        pairs.activity_modified_at
    from pairs
    left join internal_people_taking_part
        on pairs.activity_sk = internal_people_taking_part.activity_sk
        and pairs.record_sk = internal_people_taking_part.record_sk

),

final as (

    select
        {{ integer_key(['record_sk', 'activity_sk']) }} as record_activity_key,
        record_sk,
        activity_sk,
        record_type,
        record_id,
        activity_id,
        is_regarding,
        is_via_contact_of_interest,
        -- null: the link holds at every moment (regarding, or attribute-based contacts of interest)
        case
            when is_regarding or linked_from_at = {{ epoch }} then null
            else linked_from_at
        end as linked_from_at,
        activity_modified_at
    from links
    where is_regarding or is_via_contact_of_interest

)

select * from final
