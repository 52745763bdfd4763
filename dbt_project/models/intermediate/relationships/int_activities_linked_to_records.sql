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

with

activities as (

    select * from {{ ref('int_activities_attributed') }}

),

participants as (

    select * from {{ ref('int_activity_participants_resolved') }}
    where takes_part
        and person_key is not null

),

contacts_of_interest as (

    select * from {{ ref('int_record_contacts_of_interest') }}

),

records as (

    select * from {{ ref('int_records_unioned') }}

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
    from participants
    inner join people_changed
        on participants.person_key = people_changed.person_key
    union
    select linked.activity_id
    from {{ this }} as linked
    inner join records_changed
        on linked.record_type = records_changed.record_type
        and linked.record_id = records_changed.record_id

),

{% else %}

batch as (

    select activity_id from activities

),

{% endif %}

batch_activities as (

    select activities.*
    from activities
    inner join batch
        on activities.activity_id = batch.activity_id

),

regarding_links as (

    select
        regarding_type as record_type,
        regarding_id as record_id,
        activity_id,
        1 as is_regarding,
        0 as is_via_contact_of_interest,
        cast(null as {{ dbt.type_timestamp() }}) as linked_from_at
    from batch_activities
    where regarding_type in ('lead', 'opportunity', 'account', 'contact')
        and regarding_id is not null

),

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

customer_people_taking_part as (

    -- driven from the customer's side: a contact is of interest to few records, a colleague to many
    select
        batch_activities.activity_id,
        batch_activities.our_participant_count,
        customer_contacts_of_interest.record_type,
        customer_contacts_of_interest.record_id,
        min(customer_contacts_of_interest.valid_from_at) as customer_from_at
    from batch_activities
    inner join participants
        on batch_activities.activity_id = participants.activity_id
    inner join customer_contacts_of_interest
        on participants.person_key = customer_contacts_of_interest.person_key
    where participants.side = 'theirs'
        and coalesce(batch_activities.occurred_at, batch_activities.planned_at, batch_activities.created_at)
            >= customer_contacts_of_interest.counts_from_at
    group by
        batch_activities.activity_id,
        batch_activities.our_participant_count,
        customer_contacts_of_interest.record_type,
        customer_contacts_of_interest.record_id

),

internal_people_taking_part as (

    select
        customer_people_taking_part.activity_id,
        customer_people_taking_part.record_type,
        customer_people_taking_part.record_id,
        min(coalesce(contacts_of_interest.valid_from_at, {{ epoch }})) as internal_from_at
    from customer_people_taking_part
    inner join participants
        on customer_people_taking_part.activity_id = participants.activity_id
    inner join contacts_of_interest
        on customer_people_taking_part.record_type = contacts_of_interest.record_type
        and customer_people_taking_part.record_id = contacts_of_interest.record_id
        and participants.person_key = contacts_of_interest.person_key
    where participants.side = 'ours'
        and contacts_of_interest.side = 'ours'
    group by
        customer_people_taking_part.activity_id,
        customer_people_taking_part.record_type,
        customer_people_taking_part.record_id

),

interest_links as (

    select
        customer_people_taking_part.record_type,
        customer_people_taking_part.record_id,
        customer_people_taking_part.activity_id,
        0 as is_regarding,
        1 as is_via_contact_of_interest,
        -- the link holds once both a customer and an internal contact of interest were linked
        case
            when internal_people_taking_part.internal_from_at is null
                or customer_people_taking_part.customer_from_at > internal_people_taking_part.internal_from_at
                then customer_people_taking_part.customer_from_at
            else internal_people_taking_part.internal_from_at
        end as linked_from_at
    from customer_people_taking_part
    left join internal_people_taking_part
        on customer_people_taking_part.activity_id = internal_people_taking_part.activity_id
        and customer_people_taking_part.record_type = internal_people_taking_part.record_type
        and customer_people_taking_part.record_id = internal_people_taking_part.record_id
    where internal_people_taking_part.activity_id is not null
        -- accounts and contacts: any colleague is an internal contact of interest
        or (
            customer_people_taking_part.record_type in ('account', 'contact')
            and customer_people_taking_part.our_participant_count > 0
        )

),

links as (

    select * from regarding_links
    union all
    select * from interest_links

),

merged as (

    select
        record_type,
        record_id,
        activity_id,
        max(is_regarding) = 1 as is_regarding,
        max(is_via_contact_of_interest) = 1 as is_via_contact_of_interest,
        min(linked_from_at) as linked_from_at
    from links
    group by record_type, record_id, activity_id

),

final as (

    select
        {{ dbt.concat(['merged.record_type', "':'", 'merged.record_id', "'|'", 'merged.activity_id']) }}
            as record_activity_key,
        merged.record_type,
        merged.record_id,
        merged.activity_id,
        merged.is_regarding,
        merged.is_via_contact_of_interest,
        -- null: the link holds at every moment (regarding, or attribute-based contacts of interest)
        case
            when merged.is_regarding or merged.linked_from_at = {{ epoch }} then null
            else merged.linked_from_at
        end as linked_from_at,
        batch_activities.modified_at as activity_modified_at
    from merged
    inner join batch_activities
        on merged.activity_id = batch_activities.activity_id

)

select * from final
