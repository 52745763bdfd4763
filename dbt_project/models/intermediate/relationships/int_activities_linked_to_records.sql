{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#-
    An activity counts for a record when it is regarding the record, or when one of the record's
    customer contacts of interest takes part together with one of its internal contacts of interest
    (any colleague for accounts and contacts); through people, an activity counts for a lead or an
    opportunity only when it happened (or is planned, or was created) at or after the record's creation.

    Incremental: a run re-links (delete+insert on activity_id)
      - the activities changed since the newest one already linked (the watermark),
      - every activity in which a customer-side contact of interest of a record whose contacts of
        interest changed since then takes part (a new stakeholder, a new owner, a contact moved, ...),
      - every activity already linked to a record whose contacts of interest changed (links that must go).
    Full refresh gives the same rows (tested).
-#}

-- depends_on: {{ ref('stg_crm__connections') }}

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
        record_type,
        record_id,
        person_key,
        side,
        valid_from_at,
        source_modified_at
    from {{ ref('int_record_contacts_of_interest') }}

),

records as (

    select record_type, record_id, created_at from {{ ref('int_records_unioned') }}

),

{% if is_incremental() %}

watermark as (

    select max(activity_modified_at) as modified_at from {{ this }}

),

connections_changed as (

    select record1_type, record1_id, record2_type, record2_id
    from {{ ref('stg_crm__connections') }}
    where modified_at >= (select modified_at from watermark)

),

records_changed as (

    select record_type, record_id
    from contacts_of_interest
    where source_modified_at >= (select modified_at from watermark)
    union
    select record1_type, record1_id from connections_changed
    union
    select record2_type, record2_id from connections_changed

),

people_changed as (

    -- a link through people needs one of the record's customer contacts of interest taking part, so the
    -- activities that can gain a link are those of the changed records' customer-side people (never
    -- all the activities of a colleague who owns many records)
    select contacts_of_interest.person_key
    from contacts_of_interest
    inner join records_changed
        on contacts_of_interest.record_type = records_changed.record_type
        and contacts_of_interest.record_id = records_changed.record_id
    where contacts_of_interest.side = 'theirs'
    union
    select {{ dbt.concat(['record1_type', "':'", 'record1_id']) }} from connections_changed
    where record1_type <> 'systemuser'
    union
    select {{ dbt.concat(['record2_type', "':'", 'record2_id']) }} from connections_changed
    where record2_type <> 'systemuser'

),

batch as (

    select activity_id from activities
    where modified_at >= (select modified_at from watermark)
    union
    select participants.activity_id
    from {{ participants }} as participants
    inner join people_changed
        on participants.person_key = people_changed.person_key
    where participants.takes_part
    union
    select linked.activity_id
    from {{ this }} as linked
    inner join records_changed
        on linked.record_type = records_changed.record_type
        and linked.record_id = records_changed.record_id

),

batch_activities as (

    select activities.*
    from activities
    inner join batch
        on activities.activity_id = batch.activity_id

),

{% endif %}

customer_contacts_of_interest as (

    select
        contacts_of_interest.record_type,
        contacts_of_interest.record_id,
        contacts_of_interest.person_key,
        coalesce(contacts_of_interest.valid_from_at, {{ epoch }}) as valid_from_at,
        -- through people, an activity counts for a lead or an opportunity only from the record's
        -- creation (an e-mail with the same contact a year before the deal existed is not about it)
        case
            when contacts_of_interest.record_type in ('lead', 'opportunity') then records.created_at
            else {{ epoch }}
        end as counts_from_at
    from contacts_of_interest
    inner join records
        on contacts_of_interest.record_type = records.record_type
        and contacts_of_interest.record_id = records.record_id
    where contacts_of_interest.side = 'theirs'

),

candidates as (

    -- driven from the customer's side (a contact is of interest to few records, a colleague to many):
    -- each customer contact of interest taking part, and each regarding record, is a candidate link
    select
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
        on activities.activity_id = participants.activity_id
    inner join customer_contacts_of_interest
        on participants.person_key = customer_contacts_of_interest.person_key
    where participants.takes_part
        and participants.side = 'theirs'
        and coalesce(activities.occurred_at, activities.planned_at, activities.created_at)
            >= customer_contacts_of_interest.counts_from_at

    union all

    select
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

    select
        activity_id,
        record_type,
        record_id,
        max(our_participant_count) as our_participant_count,
        max(activity_modified_at) as activity_modified_at,
        max(is_customer) as is_customer,
        max(is_regarding) as is_regarding,
        min(customer_from_at) as customer_from_at
    from candidates
    group by activity_id, record_type, record_id

),

internal_people_taking_part as (

    -- leads and opportunities need one of their own colleagues (owner, sales team) to take part too
    select
        lead_or_opportunity.activity_id,
        lead_or_opportunity.record_type,
        lead_or_opportunity.record_id,
        min(coalesce(contacts_of_interest.valid_from_at, {{ epoch }})) as internal_from_at
    from (
        select distinct
            activities.activity_id,
            customer_contacts_of_interest.record_type,
            customer_contacts_of_interest.record_id
        from {{ batch_activities }} as activities
        inner join {{ participants }} as participants
            on activities.activity_id = participants.activity_id
        inner join customer_contacts_of_interest
            on participants.person_key = customer_contacts_of_interest.person_key
        where participants.takes_part
            and participants.side = 'theirs'
            and customer_contacts_of_interest.record_type in ('lead', 'opportunity')
            and coalesce(activities.occurred_at, activities.planned_at, activities.created_at)
                >= customer_contacts_of_interest.counts_from_at
    ) as lead_or_opportunity
    inner join {{ participants }} as colleagues
        on lead_or_opportunity.activity_id = colleagues.activity_id
    inner join contacts_of_interest
        on lead_or_opportunity.record_type = contacts_of_interest.record_type
        and lead_or_opportunity.record_id = contacts_of_interest.record_id
        and colleagues.person_key = contacts_of_interest.person_key
    where colleagues.takes_part
        and colleagues.side = 'ours'
        and contacts_of_interest.side = 'ours'
    group by
        lead_or_opportunity.activity_id,
        lead_or_opportunity.record_type,
        lead_or_opportunity.record_id

),

links as (

    select
        pairs.record_type,
        pairs.record_id,
        pairs.activity_id,
        pairs.is_regarding = 1 as is_regarding,
        pairs.is_customer = 1 and (
            internal_people_taking_part.activity_id is not null
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
        on pairs.activity_id = internal_people_taking_part.activity_id
        and pairs.record_type = internal_people_taking_part.record_type
        and pairs.record_id = internal_people_taking_part.record_id

),

final as (

    select
        {{ dbt.concat(['record_type', "':'", 'record_id', "'|'", 'activity_id']) }} as record_activity_key,
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
