{#-
    Which leads the run scores or trains on, and the moment each one's features describe.

    open    created before the run's as-of moment, in the last `scoring_scoring_window_days` days, and not
            closed before the as-of moment (a lead closed later was still open then): feature_at = the as-of
            moment, no label.
    closed  created and closed in the `scoring_training_window_days` days before the as-of moment:
            feature_at = close moment - `scoring_decision_gap_days`, label 1 qualified / 0 disqualified.

    The contract has no close date for leads. The close moment is the qualifying opportunity's creation for
    a qualified lead (Dynamics creates it when the lead is qualified), else the lead's last modification.
    A closed lead whose feature_at is not after its creation (decided within the gap) keeps a row here with
    an `exclusion_reason` and is left out of fct_lead_features (and so out of the readiness counts).
-#}
{%- set training_days = var('scoring_training_window_days') | int -%}
{%- set scoring_days = var('scoring_scoring_window_days') | int -%}
{%- set gap_days = var('scoring_decision_gap_days') | int -%}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

closed_at_moments as (

    select
        leads.lead_id,
        leads.created_at,
        case
            when leads.state_code = 1 then coalesce(opportunities.created_at, leads.modified_at)
            when leads.state_code = 2 then leads.modified_at
        end as closed_at,
        case when leads.state_code = 1 then 1 when leads.state_code = 2 then 0 end as label
    from leads
    left join opportunities
        on leads.qualifying_opportunity_id = opportunities.opportunity_id

),

as_of_the_run as (

    select
        lead_id,
        created_at,
        -- a lead closed at or after the as-of moment was still open then
        case when closed_at < {{ relationship_as_of() }} then closed_at end as closed_at,
        case when closed_at < {{ relationship_as_of() }} then label end as label
    from closed_at_moments
    where created_at < {{ relationship_as_of() }}

),

open_rows as (

    select
        lead_id,
        'open' as row_kind,
        created_at,
        closed_at,
        label,
        {{ relationship_as_of() }} as feature_at
    from as_of_the_run
    where closed_at is null
        and created_at >= {{ dbt.dateadd('day', -scoring_days, relationship_as_of()) }}

),

closed_rows as (

    select
        lead_id,
        'closed' as row_kind,
        created_at,
        closed_at,
        label,
        {{ dbt.dateadd('day', -gap_days, 'closed_at') }} as feature_at
    from as_of_the_run
    where closed_at is not null
        and label is not null
        and created_at >= {{ dbt.dateadd('day', -training_days, relationship_as_of()) }}
        and closed_at >= {{ dbt.dateadd('day', -training_days, relationship_as_of()) }}

),

unioned as (

    select * from open_rows
    union all
    select * from closed_rows

),

final as (

    select
        lead_id,
        {{ relationship_as_of_date() }} as as_of_date,
        row_kind,
        created_at,
        closed_at,
        label,
        feature_at,
        case
            when feature_at <= created_at
                then 'closed within scoring_decision_gap_days ({{ gap_days }}) of its creation: no moment before the decision to describe'
        end as exclusion_reason
    from unioned

)

select * from final
