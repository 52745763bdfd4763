{#-
    The relationship KPIs of each record at each moment of int_records_pinned_to_moments: the run's as-of
    moment for every record (fct_relationship_kpis) and each scored lead's and opportunity's feature_at
    (fct_lead_features, fct_opportunity_features). Every KPI is written out by name here, once; the marts
    and the features read it from this model. Definitions: docs/relationship_analytics.md (counts per type x
    direction over all time, this year, previous years and the last `relationship_recent_days` days; last
    activity ours/theirs; next scheduled activity ours; hours; response times; response rate; most
    contacted people). Nothing that happened at or after a row's `as_of_at` is used (scheduled activities
    known before it count for "next activity").
-#}

{%- set recent_days = var('relationship_recent_days') | int -%}
{%- set top_people = var('relationship_top_people') | int -%}
{%- set year_start = dbt.date_trunc('year', 'as_of_at') -%}
{%- set recent_start = dbt.dateadd('day', -recent_days, 'as_of_at') %}

with

kpi_moments as (

    select * from {{ ref('int_records_pinned_to_moments') }}

),

activities_at as (

    {{ relationship_activities_at('kpi_moments', moment_key='moment_id') | indent(4) }}

),

timeline as (

    -- narrow: the only columns the KPIs below read, with each row's minutes computed once; the wide
    -- activities_at is read once, here
    select
        moment_id,
        activity_sk,
        activity_id,
        activity_type,
        initiator_side,
        occurred_at,
        planned_at,
        as_of_at,
        is_done,
        is_upcoming,
        occurred_at >= {{ year_start }} as is_this_year,
        occurred_at >= {{ recent_start }} as is_last_n_days,
        {{ relationship_minutes_ours() }} as minutes_ours,
        {{ relationship_minutes_theirs() }} as minutes_theirs
    from activities_at

),

done as (

    select * from timeline where is_done

),

counted as (

    -- one pass: each KPI written out by name ("sent"/"made" = started by our team, "received" = by the
    -- customer's team; tasks are always ours)
    select
        moment_id,
        sum(case when activity_type = 'email' and initiator_side = 'ours' then 1 else 0 end)
            as emails_sent_count,
        sum(case when activity_type = 'email' and initiator_side = 'ours' and is_this_year then 1 else 0 end)
            as emails_sent_this_year_count,
        sum(case when activity_type = 'email' and initiator_side = 'ours' and not is_this_year then 1 else 0 end)
            as emails_sent_previous_years_count,
        sum(case when activity_type = 'email' and initiator_side = 'ours' and is_last_n_days then 1 else 0 end)
            as emails_sent_last_n_days_count,
        sum(case when activity_type = 'email' and initiator_side = 'theirs' then 1 else 0 end)
            as emails_received_count,
        sum(case when activity_type = 'email' and initiator_side = 'theirs' and is_this_year then 1 else 0 end)
            as emails_received_this_year_count,
        sum(case when activity_type = 'email' and initiator_side = 'theirs' and not is_this_year then 1 else 0 end)
            as emails_received_previous_years_count,
        sum(case when activity_type = 'email' and initiator_side = 'theirs' and is_last_n_days then 1 else 0 end)
            as emails_received_last_n_days_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'ours' then 1 else 0 end)
            as meetings_sent_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'ours' and is_this_year then 1 else 0 end)
            as meetings_sent_this_year_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'ours' and not is_this_year then 1 else 0 end)
            as meetings_sent_previous_years_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'ours' and is_last_n_days then 1 else 0 end)
            as meetings_sent_last_n_days_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'theirs' then 1 else 0 end)
            as meetings_received_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'theirs' and is_this_year then 1 else 0 end)
            as meetings_received_this_year_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'theirs' and not is_this_year then 1 else 0 end)
            as meetings_received_previous_years_count,
        sum(case when activity_type = 'appointment' and initiator_side = 'theirs' and is_last_n_days then 1 else 0 end)
            as meetings_received_last_n_days_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'ours' then 1 else 0 end)
            as calls_made_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'ours' and is_this_year then 1 else 0 end)
            as calls_made_this_year_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'ours' and not is_this_year then 1 else 0 end)
            as calls_made_previous_years_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'ours' and is_last_n_days then 1 else 0 end)
            as calls_made_last_n_days_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'theirs' then 1 else 0 end)
            as calls_received_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'theirs' and is_this_year then 1 else 0 end)
            as calls_received_this_year_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'theirs' and not is_this_year then 1 else 0 end)
            as calls_received_previous_years_count,
        sum(case when activity_type = 'phonecall' and initiator_side = 'theirs' and is_last_n_days then 1 else 0 end)
            as calls_received_last_n_days_count,
        sum(case when activity_type = 'task' then 1 else 0 end) as tasks_count,
        sum(case when activity_type = 'task' and is_this_year then 1 else 0 end) as tasks_this_year_count,
        sum(case when activity_type = 'task' and not is_this_year then 1 else 0 end) as tasks_previous_years_count,
        sum(case when activity_type = 'task' and is_last_n_days then 1 else 0 end) as tasks_last_n_days_count,
        sum(case when initiator_side = 'theirs' then 1 else 0 end) as customer_initiated_count,
        sum(case when initiator_side = 'theirs' and is_last_n_days then 1 else 0 end)
            as customer_initiated_last_n_days_count,
        sum(minutes_ours) / 60.0 as hours_ours,
        sum(minutes_theirs) / 60.0 as hours_theirs,
        sum(case when is_last_n_days then minutes_ours else 0 end) / 60.0 as hours_ours_last_n_days,
        sum(case when is_last_n_days then minutes_theirs else 0 end) / 60.0 as hours_theirs_last_n_days,
        min(occurred_at) as first_activity_at,
        count(*) as activity_count
    from done
    group by moment_id

),

last_ranked as (

    -- one pass over the done activities: the latest per side; ties on the moment: the greatest activity
    -- id, so the result is deterministic
    select
        moment_id,
        initiator_side,
        activity_sk,
        row_number() over (
            partition by moment_id, initiator_side
            order by occurred_at desc, activity_id desc
        ) as last_rank
    from done
    where initiator_side is not null

),

last_activities as (

    select
        last_ranked.moment_id,
        max(case when last_ranked.initiator_side = 'ours' then activities.occurred_at end) as last_activity_ours_at,
        max(case when last_ranked.initiator_side = 'ours' then activities.activity_type end)
            as last_activity_ours_type,
        max(case when last_ranked.initiator_side = 'ours' then activities.initiator_name end)
            as last_activity_ours_by,
        max(case when last_ranked.initiator_side = 'theirs' then activities.occurred_at end)
            as last_activity_theirs_at,
        max(case when last_ranked.initiator_side = 'theirs' then activities.activity_type end)
            as last_activity_theirs_type,
        max(case when last_ranked.initiator_side = 'theirs' then activities.initiator_name end)
            as last_activity_theirs_by
    from last_ranked
    inner join {{ ref('int_activities_attributed') }} as activities
        on last_ranked.activity_sk = activities.activity_sk
    where last_ranked.last_rank = 1
    group by last_ranked.moment_id

),

next_ranked as (

    select
        moment_id,
        activity_sk,
        planned_at,
        row_number() over (partition by moment_id order by planned_at, activity_id) as next_rank
    from timeline
    where is_upcoming
        and initiator_side = 'ours'

),

next_activities as (

    select
        next_ranked.moment_id,
        next_ranked.planned_at as next_activity_ours_at,
        activities.activity_type as next_activity_ours_type,
        activities.initiator_name as next_activity_ours_by,
        activities.subject as next_activity_ours_subject
    from next_ranked
    inner join {{ ref('int_activities_attributed') }} as activities
        on next_ranked.activity_sk = activities.activity_sk
    where next_ranked.next_rank = 1

),

responses as (

    select
        done.moment_id,
        pairs.channel,
        pairs.responder_side,
        pairs.response_hours
    from done
    inner join {{ ref('int_activity_responses_paired') }} as pairs
        on done.activity_id = pairs.activity_id
    where {{ relationship_is_response('pairs') }}

),

response_times as (

    select
        moment_id,
        avg(case when responder_side = 'ours' then response_hours end) as avg_response_hours_ours,
        avg(case when responder_side = 'theirs' then response_hours end) as avg_response_hours_theirs,
        avg(case when responder_side = 'ours' and channel = 'email' then response_hours end)
            as avg_email_response_hours_ours,
        avg(case when responder_side = 'theirs' and channel = 'email' then response_hours end)
            as avg_email_response_hours_theirs,
        sum(case when responder_side = 'ours' then 1 else 0 end) as responses_ours_count,
        sum(case when responder_side = 'theirs' then 1 else 0 end) as responses_theirs_count
    from responses
    group by moment_id

),

customer_replies as (

    select
        answered_activity_id,
        min(responded_at) as first_customer_reply_at
    from {{ ref('int_activity_responses_paired') }}
    where is_counted_response
        and responder_side = 'theirs'
        and channel = 'email'
    group by answered_activity_id

),

response_rates as (

    select
        done.moment_id,
        count(*) as our_emails_count,
        sum(
            case when customer_replies.first_customer_reply_at < done.as_of_at then 1 else 0 end
        ) as our_emails_replied_count
    from done
    left join customer_replies
        on done.activity_id = customer_replies.answered_activity_id
    where done.activity_type = 'email'
        and done.initiator_side = 'ours'
    group by done.moment_id

),

people_taking_part as (

    -- one row per activity and person (a person can hold several parties of one activity)
    select distinct
        activity_sk,
        side,
        person_sk,
        person_key
    from {{ ref('int_activity_participants_resolved') }}
    where takes_part
        and person_key is not null
        and side is not null

),

people_activity_counts as (

    select
        done.moment_id,
        people_taking_part.side,
        people_taking_part.person_key,
        count(*) as activity_count
    from done
    inner join people_taking_part
        on done.activity_sk = people_taking_part.activity_sk
    inner join kpi_moments
        on done.moment_id = kpi_moments.moment_id
    -- the record itself (a contact or a lead taking part) is not one of its own people
    where people_taking_part.person_sk <> kpi_moments.record_sk
    group by
        done.moment_id,
        people_taking_part.side,
        people_taking_part.person_key

),

people_names as (

    select
        person_key,
        max(person_name) as person_name
    from {{ ref('int_activity_participants_resolved') }}
    where person_key is not null
    group by person_key

),

people_counts as (

    select
        people_activity_counts.*,
        people_names.person_name
    from people_activity_counts
    left join people_names
        on people_activity_counts.person_key = people_names.person_key

),

people_ranked as (

    select
        people_counts.*,
        row_number() over (
            partition by moment_id, side
            order by activity_count desc, person_name asc, person_key asc
        ) as people_rank
    from people_counts

),

top_people as (

    select
        moment_id,
        max(case when side = 'theirs' and people_rank = 1 then person_name end) as most_contacted_name,
        max(case when side = 'theirs' and people_rank = 1 then activity_count end) as most_contacted_activity_count,
        {{ dbt.listagg(
            "case when side = 'theirs' then " ~ dbt.concat([
                'person_name', "' ('", 'cast(activity_count as ' ~ dbt.type_string() ~ ')', "')'"
            ]) ~ " end",
            "', '",
            "order by people_rank"
        ) }} as most_contacted_top,
        max(case when side = 'ours' and people_rank = 1 then person_name end) as most_contacted_by_name,
        max(case when side = 'ours' and people_rank = 1 then activity_count end) as most_contacted_by_activity_count,
        {{ dbt.listagg(
            "case when side = 'ours' then " ~ dbt.concat([
                'person_name', "' ('", 'cast(activity_count as ' ~ dbt.type_string() ~ ')', "')'"
            ]) ~ " end",
            "', '",
            "order by people_rank"
        ) }} as most_contacted_by_top
    from people_ranked
    where people_rank <= {{ top_people }}
    group by moment_id

),

kpis as (

    select
        kpi_moments.record_sk,
        kpi_moments.record_type,
        kpi_moments.record_id,
        kpi_moments.as_of_at,
        last_activities.last_activity_ours_at,
        last_activities.last_activity_ours_type,
        last_activities.last_activity_ours_by,
        last_activities.last_activity_theirs_at,
        last_activities.last_activity_theirs_type,
        last_activities.last_activity_theirs_by,
        next_activities.next_activity_ours_at,
        next_activities.next_activity_ours_type,
        next_activities.next_activity_ours_by,
        next_activities.next_activity_ours_subject,
        coalesce(counted.activity_count, 0) as activity_count,
        coalesce(counted.emails_sent_count, 0) as emails_sent_count,
        coalesce(counted.emails_sent_this_year_count, 0) as emails_sent_this_year_count,
        coalesce(counted.emails_sent_previous_years_count, 0) as emails_sent_previous_years_count,
        coalesce(counted.emails_sent_last_n_days_count, 0) as emails_sent_last_n_days_count,
        coalesce(counted.emails_received_count, 0) as emails_received_count,
        coalesce(counted.emails_received_this_year_count, 0) as emails_received_this_year_count,
        coalesce(counted.emails_received_previous_years_count, 0) as emails_received_previous_years_count,
        coalesce(counted.emails_received_last_n_days_count, 0) as emails_received_last_n_days_count,
        coalesce(counted.meetings_sent_count, 0) as meetings_sent_count,
        coalesce(counted.meetings_sent_this_year_count, 0) as meetings_sent_this_year_count,
        coalesce(counted.meetings_sent_previous_years_count, 0) as meetings_sent_previous_years_count,
        coalesce(counted.meetings_sent_last_n_days_count, 0) as meetings_sent_last_n_days_count,
        coalesce(counted.meetings_received_count, 0) as meetings_received_count,
        coalesce(counted.meetings_received_this_year_count, 0) as meetings_received_this_year_count,
        coalesce(counted.meetings_received_previous_years_count, 0) as meetings_received_previous_years_count,
        coalesce(counted.meetings_received_last_n_days_count, 0) as meetings_received_last_n_days_count,
        coalesce(counted.calls_made_count, 0) as calls_made_count,
        coalesce(counted.calls_made_this_year_count, 0) as calls_made_this_year_count,
        coalesce(counted.calls_made_previous_years_count, 0) as calls_made_previous_years_count,
        coalesce(counted.calls_made_last_n_days_count, 0) as calls_made_last_n_days_count,
        coalesce(counted.calls_received_count, 0) as calls_received_count,
        coalesce(counted.calls_received_this_year_count, 0) as calls_received_this_year_count,
        coalesce(counted.calls_received_previous_years_count, 0) as calls_received_previous_years_count,
        coalesce(counted.calls_received_last_n_days_count, 0) as calls_received_last_n_days_count,
        coalesce(counted.tasks_count, 0) as tasks_count,
        coalesce(counted.tasks_this_year_count, 0) as tasks_this_year_count,
        coalesce(counted.tasks_previous_years_count, 0) as tasks_previous_years_count,
        coalesce(counted.tasks_last_n_days_count, 0) as tasks_last_n_days_count,
        coalesce(counted.customer_initiated_count, 0) as customer_initiated_count,
        coalesce(counted.customer_initiated_last_n_days_count, 0) as customer_initiated_last_n_days_count,
        coalesce(counted.hours_ours, 0) as hours_ours,
        coalesce(counted.hours_theirs, 0) as hours_theirs,
        coalesce(counted.hours_ours_last_n_days, 0) as hours_ours_last_n_days,
        coalesce(counted.hours_theirs_last_n_days, 0) as hours_theirs_last_n_days,
        response_times.avg_response_hours_ours,
        response_times.avg_response_hours_theirs,
        response_times.avg_email_response_hours_ours,
        response_times.avg_email_response_hours_theirs,
        coalesce(response_times.responses_ours_count, 0) as responses_ours_count,
        coalesce(response_times.responses_theirs_count, 0) as responses_theirs_count,
        case
            when coalesce(counted.emails_received_count, 0) > 0
                then 1.0 * counted.emails_sent_count / counted.emails_received_count
        end as emails_sent_to_received_ratio,
        case
            when coalesce(counted.emails_sent_count, 0) > 0
                then 1.0 * counted.emails_received_count / counted.emails_sent_count
        end as emails_received_to_sent_ratio,
        coalesce(response_rates.our_emails_replied_count, 0) as our_emails_replied_count,
        case
            when coalesce(response_rates.our_emails_count, 0) > 0
                then 1.0 * response_rates.our_emails_replied_count / response_rates.our_emails_count
        end as customer_response_rate,
        top_people.most_contacted_name,
        top_people.most_contacted_activity_count,
        top_people.most_contacted_top,
        top_people.most_contacted_by_name,
        top_people.most_contacted_by_activity_count,
        top_people.most_contacted_by_top,
        counted.first_activity_at
    from kpi_moments
    left join counted
        on kpi_moments.moment_id = counted.moment_id
    left join last_activities
        on kpi_moments.moment_id = last_activities.moment_id
    left join next_activities
        on kpi_moments.moment_id = next_activities.moment_id
    left join response_times
        on kpi_moments.moment_id = response_times.moment_id
    left join response_rates
        on kpi_moments.moment_id = response_rates.moment_id
    left join top_people
        on kpi_moments.moment_id = top_people.moment_id

)

select * from kpis
