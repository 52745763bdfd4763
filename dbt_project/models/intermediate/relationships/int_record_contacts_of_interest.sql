{#-
    Who a record's relationship is with (Dynamics 365 "contacts of interest"), both sides:
      account     their side: its contacts and its primary contact; our side: any user (no rows, see below)
      contact     their side: the contact itself; our side: any user
      opportunity their side: the customer contact, stakeholders (connection role category 1000), the
                  account's primary contact; our side: the owner and the sales team (category 1001)
      lead        their side: the lead itself, its parent contact, stakeholders; our side: the owner
    "Any user" is a rule, not rows: int_activities_linked_to_records accepts any colleague for accounts
    and contacts. Attribute-based links (owner, parent contact, primary contact) are current state and
    hold at every moment; connection-based links hold from the connection's creation (`valid_from_at`).
-#}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

connections as (

    select * from {{ ref('stg_crm__connections') }}

),

connection_roles as (

    select * from {{ ref('stg_crm__connection_roles') }}

),

connection_ends as (

    -- Dataverse stores each connection twice (master and reciprocal): read both ends the same way,
    -- as (record, the other party, the other party's role)
    select
        record1_type as record_type,
        record1_id as record_id,
        record2_type as person_type,
        record2_id as person_id,
        record2_role_id as role_id,
        created_at,
        modified_at
    from connections
    where is_active

    union all

    select
        record2_type as record_type,
        record2_id as record_id,
        record1_type as person_type,
        record1_id as person_id,
        record1_role_id as role_id,
        created_at,
        modified_at
    from connections
    where is_active

),

connected as (

    select
        connection_ends.record_type,
        connection_ends.record_id,
        connection_ends.person_type,
        connection_ends.person_id,
        case connection_roles.role_category_code
            when 1000 then 'stakeholder'
            when 1001 then 'sales team'
        end as role,
        min(connection_ends.created_at) as valid_from_at,
        max(connection_ends.modified_at) as modified_at
    from connection_ends
    inner join connection_roles
        on connection_ends.role_id = connection_roles.connection_role_id
    where connection_roles.role_category_code in (1000, 1001)
        and connection_ends.record_type in ('opportunity', 'lead')
        and connection_ends.person_type in ('contact', 'lead', 'systemuser')
    group by 1, 2, 3, 4, 5

),

lead_people as (

    select
        'lead' as record_type, lead_id as record_id, 'lead' as person_type, lead_id as person_id,
        'lead itself' as role, cast(null as {{ dbt.type_timestamp() }}) as valid_from_at,
        modified_at as source_modified_at
    from leads

    union all

    select
        'lead', lead_id, 'contact', contact_id, 'parent contact', cast(null as {{ dbt.type_timestamp() }}),
        modified_at
    from leads
    where contact_id is not null

    union all

    select
        'lead', lead_id, 'systemuser', owner_id, 'owner', cast(null as {{ dbt.type_timestamp() }}), modified_at
    from leads
    where owner_id is not null

    union all

    select
        'lead', leads.lead_id, connected.person_type, connected.person_id, connected.role,
        connected.valid_from_at,
        case when connected.modified_at > leads.modified_at then connected.modified_at else leads.modified_at end
    from leads
    inner join connected
        on connected.record_type = 'lead'
        and leads.lead_id = connected.record_id
    where connected.role = 'stakeholder'

),

opportunity_people as (

    select
        'opportunity' as record_type, opportunity_id as record_id, 'contact' as person_type,
        coalesce(contact_id, case when customer_type = 'contact' then customer_id end) as person_id,
        'customer contact' as role, cast(null as {{ dbt.type_timestamp() }}) as valid_from_at,
        modified_at as source_modified_at
    from opportunities
    where coalesce(contact_id, case when customer_type = 'contact' then customer_id end) is not null

    union all

    select
        'opportunity', opportunities.opportunity_id, 'contact', accounts.primary_contact_id,
        'account primary contact', cast(null as {{ dbt.type_timestamp() }}),
        case
            when accounts.modified_at > opportunities.modified_at then accounts.modified_at
            else opportunities.modified_at
        end
    from opportunities
    inner join accounts
        on opportunities.account_id = accounts.account_id
    where accounts.primary_contact_id is not null

    union all

    select
        'opportunity', opportunity_id, 'systemuser', owner_id, 'owner', cast(null as {{ dbt.type_timestamp() }}),
        modified_at
    from opportunities
    where owner_id is not null

    union all

    select
        'opportunity', opportunities.opportunity_id, connected.person_type, connected.person_id, connected.role,
        connected.valid_from_at,
        case
            when connected.modified_at > opportunities.modified_at then connected.modified_at
            else opportunities.modified_at
        end
    from opportunities
    inner join connected
        on connected.record_type = 'opportunity'
        and opportunities.opportunity_id = connected.record_id

),

account_people as (

    select
        'account' as record_type, accounts.account_id as record_id, 'contact' as person_type,
        contacts.contact_id as person_id, 'account contact' as role,
        cast(null as {{ dbt.type_timestamp() }}) as valid_from_at,
        case
            when contacts.modified_at > accounts.modified_at then contacts.modified_at
            else accounts.modified_at
        end as source_modified_at
    from accounts
    inner join contacts
        on accounts.account_id = contacts.account_id

    union all

    select
        'account', account_id, 'contact', primary_contact_id, 'primary contact',
        cast(null as {{ dbt.type_timestamp() }}), modified_at
    from accounts
    where primary_contact_id is not null

),

contact_people as (

    select
        'contact' as record_type, contact_id as record_id, 'contact' as person_type, contact_id as person_id,
        'contact itself' as role, cast(null as {{ dbt.type_timestamp() }}) as valid_from_at,
        modified_at as source_modified_at
    from contacts

),

unioned as (

    select * from lead_people
    union all
    select * from opportunity_people
    union all
    select * from account_people
    union all
    select * from contact_people

),

final as (

    select
        {{ dbt.concat([
            'record_type', "':'", 'record_id', "'|'", 'person_type', "':'", 'person_id', "'|'", 'role'
        ]) }} as contact_of_interest_key,
        {{ integer_key(['record_type', 'record_id']) }} as record_sk,
        {{ integer_key(['person_type', 'person_id']) }} as person_sk,
        record_type,
        record_id,
        person_type,
        person_id,
        {{ dbt.concat(['person_type', "':'", 'person_id']) }} as person_key,
        case when person_type = 'systemuser' then 'ours' else 'theirs' end as side,
        role,
        valid_from_at,
        source_modified_at
    from unioned

)

select * from final
