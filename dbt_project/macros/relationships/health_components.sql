{#-
    The relationship health formula (docs/health.md), for each record at each moment.

    `moments`: a relation or CTE name with `record_sk`, `record_type`, `record_id`, `as_of_at` (see
    relationship_activities_at); the caller decides which records are scored (the health mart passes
    active leads, open opportunities and contacts). Returns one row per input row with every input of
    the formula, the four components (0-1, null when not measurable), their points, the score (0-100,
    null with a `no_score_reason` when the record had no activity before the moment).

    Window: the last `relationship_recent_days` days before the moment (shorter for younger records).
      volume          1 - 0.5 ^ (weighted two-way interactions in the window / the number the cadence
                      expects: window days / `health_cadence_days`, at least 1)
      recency         0.5 ^ (days since the last two-way interaction / `health_cadence_days`)
      reciprocity     min(1, 2 x share of conversations the customer started in the window)
      responsiveness  share of our e-mails in the window the customer answered x
                      0.5 ^ (average customer reply time in days / `health_cadence_days`)
    score = 100 x sum(weight x component) / sum(weight) over the measurable components.
-#}
{% macro health_components(moments) -%}
{%- set recent_days = var('relationship_recent_days') | int -%}
{%- set cadence_days = var('health_cadence_days') | float -%}
{%- set activity_weights = var('health_activity_weights') or {} -%}
{%- set component_weights = var('health_component_weights') or {} -%}
{%- set components = ['volume', 'recency', 'reciprocity', 'responsiveness'] -%}
{%- set recent_start = dbt.dateadd('day', -recent_days, 'health_moments.as_of_at') -%}
    with

    health_moments as (

        -- an integer per moment: the aggregates below group by it instead of three wide columns
        select
            record_sk,
            record_type,
            record_id,
            as_of_at,
            row_number() over (order by record_type, record_id, as_of_at) as moment_id
        from (select distinct record_sk, record_type, record_id, as_of_at from {{ moments }}) as distinct_moments

    ),

    records as (

        select record_sk, created_at from {{ ref('int_records_unioned') }}

    ),

    activities_at as (

        {{ relationship_activities_at('health_moments', moment_key='moment_id') | indent(8) }}

    ),

    done as (

        select * from activities_at where is_done

    ),

    windowed as (

        select
            health_moments.moment_id,
            health_moments.record_type,
            health_moments.record_id,
            health_moments.as_of_at,
            -- the window is shorter for a record younger than relationship_recent_days
            case
                when records.created_at > {{ recent_start }}
                    then {{ dbt.datediff('records.created_at', 'health_moments.as_of_at', 'second') }} / 86400.0
                else {{ recent_days }}
            end as window_days
        from health_moments
        left join records
            on health_moments.record_sk = records.record_sk

    ),

    volume as (

        select
            moment_id,
            count(*) as activity_count,
            sum(case when occurred_at >= {{ dbt.dateadd('day', -recent_days, 'as_of_at') }} then 1 else 0 end)
                as recent_activity_count,
            sum(
                case when is_two_way and occurred_at >= {{ dbt.dateadd('day', -recent_days, 'as_of_at') }} then 1 else 0 end
            ) as recent_two_way_count,
            sum(
                case
                    when is_two_way and occurred_at >= {{ dbt.dateadd('day', -recent_days, 'as_of_at') }} then
                        case activity_type
                            {%- for activity_type in ['email', 'appointment', 'phonecall', 'task'] %}
                            when '{{ activity_type }}' then {{ activity_weights.get(activity_type, 1.0) | float }}
                            {%- endfor %}
                            else 1.0
                        end
                    else 0
                end
            ) as recent_weighted_two_way_count,
            max(case when is_two_way then occurred_at end) as last_two_way_at,
            sum(
                case
                    when occurred_at >= {{ dbt.dateadd('day', -recent_days, 'as_of_at') }}
                        and activity_type <> 'task' and initiator_side = 'ours' then 1
                    else 0
                end
            ) as recent_initiated_ours_count,
            sum(
                case
                    when occurred_at >= {{ dbt.dateadd('day', -recent_days, 'as_of_at') }}
                        and activity_type <> 'task' and initiator_side = 'theirs' then 1
                    else 0
                end
            ) as recent_initiated_theirs_count
        from done
        group by moment_id

    ),

    customer_replies as (

        select
            answered_activity_id,
            responded_at,
            response_hours
        from {{ ref('int_activity_responses_paired') }}
        where is_counted_response
            and responder_side = 'theirs'
            and channel = 'email'

    ),

    our_recent_emails as (

        select
            done.moment_id,
            done.activity_id,
            min(case when customer_replies.responded_at < done.as_of_at then customer_replies.response_hours end)
                as first_reply_hours
        from done
        left join customer_replies
            on done.activity_id = customer_replies.answered_activity_id
        where done.activity_type = 'email'
            and done.initiator_side = 'ours'
            and done.occurred_at >= {{ dbt.dateadd('day', -recent_days, 'done.as_of_at') }}
        group by done.moment_id, done.activity_id

    ),

    responsiveness as (

        select
            moment_id,
            count(*) as recent_our_emails_count,
            count(first_reply_hours) as recent_our_emails_replied_count,
            avg(first_reply_hours) as recent_customer_reply_hours
        from our_recent_emails
        group by moment_id

    ),

    inputs as (

        select
            windowed.record_type,
            windowed.record_id,
            windowed.as_of_at,
            coalesce(volume.activity_count, 0) as activity_count,
            coalesce(volume.recent_activity_count, 0) as recent_activity_count,
            coalesce(volume.recent_two_way_count, 0) as recent_two_way_count,
            coalesce(volume.recent_weighted_two_way_count, 0) as recent_weighted_two_way_count,
            -- at least one interaction is expected, however young the record
            case
                when windowed.window_days / {{ cadence_days }} < 1 then 1.0
                else windowed.window_days / {{ cadence_days }}
            end as expected_two_way_count,
            volume.last_two_way_at,
            {{ dbt.datediff('volume.last_two_way_at', 'windowed.as_of_at', 'second') }} / 86400.0
                as days_since_last_two_way,
            coalesce(volume.recent_initiated_ours_count, 0) as recent_initiated_ours_count,
            coalesce(volume.recent_initiated_theirs_count, 0) as recent_initiated_theirs_count,
            coalesce(responsiveness.recent_our_emails_count, 0) as recent_our_emails_count,
            coalesce(responsiveness.recent_our_emails_replied_count, 0) as recent_our_emails_replied_count,
            responsiveness.recent_customer_reply_hours
        from windowed
        left join volume
            on windowed.moment_id = volume.moment_id
        left join responsiveness
            on windowed.moment_id = responsiveness.moment_id

    ),

    components as (

        select
            inputs.*,
            1.0 - power(0.5, recent_weighted_two_way_count / expected_two_way_count) as volume_component,
            case
                when last_two_way_at is null then 0.0
                else power(0.5, days_since_last_two_way / {{ cadence_days }})
            end as recency_component,
            case
                when recent_initiated_ours_count + recent_initiated_theirs_count = 0 then null
                when 2 * recent_initiated_theirs_count >= recent_initiated_ours_count + recent_initiated_theirs_count
                    then 1.0
                else 2.0 * recent_initiated_theirs_count
                    / (recent_initiated_ours_count + recent_initiated_theirs_count)
            end as reciprocity_component,
            case
                when recent_our_emails_count = 0 then null
                when recent_our_emails_replied_count = 0 then 0.0
                else (1.0 * recent_our_emails_replied_count / recent_our_emails_count)
                    * power(0.5, recent_customer_reply_hours / 24.0 / {{ cadence_days }})
            end as responsiveness_component
        from inputs

    ),

    weighted as (

        select
            components.*,
            {%- for name in components %}
            case
                when {{ name }}_component is null then 0.0
                else {{ component_weights.get(name, 0) | float }}
            end as {{ name }}_weight,
            {%- endfor %}
            {%- for name in components %}
            {{ component_weights.get(name, 0) | float }} * coalesce({{ name }}_component, 0.0)
                {%- if not loop.last %} + {% endif %}
            {%- endfor %} as weighted_sum
        from components

    ),

    scored as (

        select
            weighted.*,
            {%- for name in components %}
            {{ name }}_weight {%- if not loop.last %} + {% endif %}
            {%- endfor %} as weight_total
        from weighted

    ),

    final as (

        select
            record_type,
            record_id,
            as_of_at,
            activity_count,
            recent_activity_count,
            recent_two_way_count,
            recent_weighted_two_way_count,
            expected_two_way_count,
            last_two_way_at,
            days_since_last_two_way,
            recent_initiated_ours_count,
            recent_initiated_theirs_count,
            recent_our_emails_count,
            recent_our_emails_replied_count,
            recent_customer_reply_hours,
            {%- for name in components %}
            {{ name }}_component,
            case
                when activity_count = 0 or weight_total = 0 then null
                else round(100.0 * {{ name }}_weight * {{ name }}_component / weight_total, 2)
            end as {{ name }}_points,
            {%- endfor %}
            case
                when activity_count = 0 or weight_total = 0 then null
                else round(100.0 * weighted_sum / weight_total, 1)
            end as health_score,
            case
                when activity_count = 0 then 'no activity before the as-of moment'
                when weight_total = 0 then 'no measurable component has a weight'
            end as no_score_reason
        from scored

    )

    select * from final
{%- endmacro %}


{#- Band of a health score: good >= health_good_from, fair >= health_fair_from, else poor. -#}
{% macro health_band(score) -%}
    case
        when {{ score }} is null then null
        when {{ score }} >= {{ var('health_good_from') | float }} then 'good'
        when {{ score }} >= {{ var('health_fair_from') | float }} then 'fair'
        else 'poor'
    end
{%- endmacro %}


{#-
    Trend of a health score against the score health_trend_lookback_days earlier: a change within
    +/- health_trend_dead_band points is steady.
-#}
{% macro health_trend(score, previous_score) -%}
    case
        when {{ score }} is null then null
        when {{ previous_score }} is null then 'not enough history'
        when {{ score }} - {{ previous_score }} > {{ var('health_trend_dead_band') | float }} then 'improving'
        when {{ previous_score }} - {{ score }} > {{ var('health_trend_dead_band') | float }} then 'declining'
        else 'steady'
    end
{%- endmacro %}
