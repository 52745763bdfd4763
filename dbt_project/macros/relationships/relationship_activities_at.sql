{#-
    The activities linked to each record as they stood at each moment.

    `moments`: a relation (a ref, a table name, or the name of a CTE defined before the call) with one
    row per record and moment: `record_sk` (the record's integer key, as in int_records_unioned),
    `record_type` (lead, opportunity, contact, account), `record_id`, `as_of_at` (timestamp, UTC). Each
    moment is exclusive: what happened at or after it is unknown. The joins run on the integer keys
    (record_sk, activity_sk), not on the text ids.

    Returns one row per moment per linked activity that had happened (`is_done`) or was scheduled
    (`is_upcoming`) at that moment, with the activity's numeric and flag columns (join
    int_activities_attributed on activity_id for texts such as subject or initiator_name):
      is_done      completed and it happened (`occurred_at`) before the moment
      is_upcoming  created before the moment, planned (`planned_at`) at or after it, not completed before
                   it, and not canceled before it (a cancellation after the moment is unknown then)
    Links from connections count only from the connection's creation (`linked_from_at`).
    `occurred_since` (optional SQL timestamp expression) drops activities that happened earlier, so a
    caller that needs only a recent window reads less. `moment_key` (optional) names a column of
    `moments` to carry along (an integer id per moment makes the callers' group-bys cheap). `links`
    (optional) replaces int_activities_linked_to_records with a part of it (a CTE of the same columns).
-#}
{% macro relationship_activities_at(moments, occurred_since=none, moment_key=none, links=none) -%}
    select
        {%- if moment_key is not none %}
        moments.{{ moment_key }},
        {%- endif %}
        moments.record_sk,
        moments.record_type,
        moments.record_id,
        moments.as_of_at,
        activities.activity_sk,
        activities.activity_id,
        activities.activity_type,
        activities.initiator_side,
        activities.direction,
        activities.our_participant_count,
        activities.customer_participant_count,
        activities.our_recipient_count,
        activities.customer_recipient_count,
        activities.our_attendee_count,
        activities.customer_attendee_count,
        activities.duration_minutes,
        activities.is_two_way,
        activities.occurred_at,
        activities.planned_at,
        coalesce(activities.occurred_at < moments.as_of_at, false) as is_done,
        not coalesce(activities.occurred_at < moments.as_of_at, false)
            and activities.planned_at >= moments.as_of_at
            and activities.created_at < moments.as_of_at
            and not (activities.is_canceled and activities.modified_at < moments.as_of_at)
            as is_upcoming
    from {{ moments }} as moments
    inner join {{ links if links is not none else ref('int_activities_linked_to_records') }} as links
        on moments.record_sk = links.record_sk
    inner join {{ ref('int_activities_attributed') }} as activities
        on links.activity_sk = activities.activity_sk
    where (links.linked_from_at is null or links.linked_from_at < moments.as_of_at)
        and (
            (
                activities.occurred_at < moments.as_of_at
                {%- if occurred_since is not none %}
                and activities.occurred_at >= {{ occurred_since }}
                {%- endif %}
            )
            or (
                activities.planned_at >= moments.as_of_at
                and activities.created_at < moments.as_of_at
                and not coalesce(activities.occurred_at < moments.as_of_at, false)
                and not (activities.is_canceled and activities.modified_at < moments.as_of_at)
            )
        )
{%- endmacro %}


{#-
    Minutes our team spent on one activity row (of relationship_activities_at), counted per person:
      e-mail   the sender writes (`relationship_email_write_minutes`) if the sender is ours; each of our
               recipients reads (`relationship_email_read_minutes`)
      meeting  duration x number of our attendees
      call     duration
      task     duration
-#}
{% macro relationship_minutes_ours(row='') -%}
    {%- set p = row ~ '.' if row else '' -%}
    case {{ p }}activity_type
        when 'email' then
            case when {{ p }}initiator_side = 'ours' then {{ var('relationship_email_write_minutes') | float }} else 0 end
            + {{ var('relationship_email_read_minutes') | float }} * {{ p }}our_recipient_count
        when 'appointment' then {{ p }}duration_minutes * {{ p }}our_attendee_count
        when 'phonecall' then {{ p }}duration_minutes
        when 'task' then {{ p }}duration_minutes
        else 0
    end
{%- endmacro %}


{#-
    Minutes the customer's team spent on one activity row, counted once per activity:
      e-mail   write time if they sent it, else read time if any of them received it
      meeting  duration if any of them attended
      call     duration if any of them was on the call
      task     none (tasks are ours)
-#}
{% macro relationship_minutes_theirs(row='') -%}
    {%- set p = row ~ '.' if row else '' -%}
    case {{ p }}activity_type
        when 'email' then
            case
                when {{ p }}initiator_side = 'theirs' then {{ var('relationship_email_write_minutes') | float }}
                when {{ p }}customer_recipient_count > 0 then {{ var('relationship_email_read_minutes') | float }}
                else 0
            end
        when 'appointment' then
            case when {{ p }}customer_attendee_count > 0 then {{ p }}duration_minutes else 0 end
        when 'phonecall' then
            case when {{ p }}customer_participant_count > 0 then {{ p }}duration_minutes else 0 end
        else 0
    end
{%- endmacro %}


{#-
    Whether a row of int_activity_responses_paired counts as a response: the pairing rules (other side,
    not one's own message) and, for a call-back, within relationship_callback_window_days of the missed
    call (a call weeks later is a new conversation, not an answer).
-#}
{% macro relationship_is_response(row) -%}
    ({{ row }}.is_counted_response
        and ({{ row }}.channel = 'email'
            or {{ row }}.response_hours <= 24.0 * {{ var('relationship_callback_window_days') | float }}))
{%- endmacro %}
