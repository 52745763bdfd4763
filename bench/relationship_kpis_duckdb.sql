-- The relationship KPI set of fct_relationship_kpis as ONE hand-written DuckDB query over the raw tables,
-- the baseline bench/bench_relationships.py compares the dbt build with. DuckDB dialect on purpose
-- (arg_max, FILTER, ::casts): this is what a single tuned query costs, without layers, tests or history.
-- Parameters: $as_of (timestamp), $recent_days, $write_minutes, $read_minutes, $callback_hours.
with

activities as (
    select activityid as activity_id, 'email' as activity_type, regardingobjectid as regarding_id,
           regardingobjecttypecode as regarding_type, ownerid as owner_id, subject, statecode,
           directioncode as is_outgoing, false as voicemail,
           case when statecode = 1 then coalesce(senton, actualend, actualstart, createdon) end as occurred_at,
           null::timestamp as planned_at, coalesce(actualdurationminutes, 0)::double as duration,
           parentactivityid as parent_id, messageid as message_id, inreplyto as in_reply_to,
           case when regexp_full_match(conversationindex, '([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*')
                then conversationindex[1:44] else conversationindex end as thread,
           createdon as created_at, modifiedon as modified_at
    from raw.email
    union all
    select activityid, 'appointment', regardingobjectid, regardingobjecttypecode, ownerid, subject, statecode,
           null, false,
           case when statecode = 1 then coalesce(actualstart, scheduledstart, actualend, createdon) end,
           coalesce(scheduledstart, scheduledend),
           coalesce(actualdurationminutes, date_diff('minute', actualstart, actualend),
                    scheduleddurationminutes, date_diff('minute', scheduledstart, scheduledend), 0)::double,
           null, null, null, null, createdon, modifiedon
    from raw.appointment
    union all
    select activityid, 'phonecall', regardingobjectid, regardingobjecttypecode, ownerid, subject, statecode,
           directioncode, coalesce(leftvoicemail, false),
           case when statecode = 1 then coalesce(actualstart, actualend, scheduledstart, createdon) end,
           coalesce(scheduledstart, scheduledend),
           coalesce(actualdurationminutes, date_diff('minute', actualstart, actualend), 0)::double,
           null, null, null, null, createdon, modifiedon
    from raw.phonecall
    union all
    select activityid, 'task', regardingobjectid, regardingobjecttypecode, ownerid, subject, statecode,
           null, false,
           case when statecode = 1 then coalesce(actualend, actualstart, scheduledend, modifiedon) end,
           coalesce(scheduledend, scheduledstart),
           coalesce(actualdurationminutes, date_diff('minute', actualstart, actualend), scheduleddurationminutes, 0)::double,
           null, null, null, null, createdon, modifiedon
    from raw.task
),

names as (
    select 'systemuser:' || systemuserid as person_key, fullname as person_name from raw.systemuser
    union all select 'contact:' || contactid,
        coalesce(fullname, trim(coalesce(firstname, '') || ' ' || coalesce(lastname, ''))) from raw.contact
    union all select 'lead:' || leadid, fullname from raw.lead
    union all select 'account:' || accountid, name from raw.account
),

parties as (
    select a.activity_id, a.activity_type, p.participationtypemask as mask,
           p.partyobjecttypecode || ':' || p.partyid as person_key,
           case p.partyobjecttypecode when 'systemuser' then 'ours'
                when 'contact' then 'theirs' when 'lead' then 'theirs' when 'account' then 'theirs' end as side,
           lower(p.addressused) as address
    from raw.activityparty as p
    join activities as a on a.activity_id = p.activityid and a.activity_type <> 'task'
    union all
    select activity_id, 'task', 9, 'systemuser:' || owner_id, 'ours', null
    from activities where activity_type = 'task' and owner_id is not null
),

people as (
    select parties.*, coalesce(names.person_name, parties.address) as person_name,
           mask in (1, 7) or (activity_type = 'task' and mask = 9) as is_initiator,
           (activity_type = 'email' and mask in (2, 3, 4)) or (activity_type = 'phonecall' and mask = 2) as is_recipient,
           activity_type = 'appointment' and mask in (5, 6, 7) as is_attendee,
           (activity_type = 'email' and mask in (1, 2, 3)) or (activity_type = 'appointment' and mask in (5, 6, 7))
               or (activity_type = 'phonecall' and mask in (1, 2)) or (activity_type = 'task' and mask = 9) as takes_part
    from parties left join names using (person_key)
),

starters as (
    select activity_id,
           arg_min(side, (mask, case when side = 'ours' then 0 else 1 end, person_key)) as side,
           arg_min(person_key, (mask, case when side = 'ours' then 0 else 1 end, person_key)) as person_key,
           arg_min(person_name, (mask, case when side = 'ours' then 0 else 1 end, person_key)) as person_name
    from people where is_initiator and side is not null
    group by activity_id
),

per_person as (
    select activity_id, side, person_key, bool_or(takes_part) as takes_part,
           bool_or(is_recipient and not is_initiator) as is_recipient, bool_or(is_attendee) as is_attendee
    from people where person_key is not null and side is not null
    group by all
),

counts as (
    select activity_id,
           count(*) filter (takes_part and side = 'ours') as ours_n,
           count(*) filter (takes_part and side = 'theirs') as theirs_n,
           count(*) filter (is_recipient and side = 'ours') as ours_rcpt,
           count(*) filter (is_recipient and side = 'theirs') as theirs_rcpt,
           count(*) filter (is_attendee and side = 'ours') as ours_att,
           count(*) filter (is_attendee and side = 'theirs') as theirs_att
    from per_person group by activity_id
),

acts as (
    select a.*,
           coalesce(s.side, case when a.is_outgoing then 'ours' when not a.is_outgoing then 'theirs' end,
                    case when a.activity_type in ('appointment', 'task') then 'ours' end) as side,
           case when s.side is not null then s.person_key
                when a.activity_type in ('appointment', 'task') or a.is_outgoing then 'systemuser:' || a.owner_id end as starter_key,
           case when s.side is not null then s.person_name
                when a.activity_type in ('appointment', 'task') or a.is_outgoing then u.fullname end as starter_name,
           coalesce(c.ours_n, 0) as ours_n, coalesce(c.theirs_n, 0) as theirs_n,
           coalesce(c.ours_rcpt, 0) as ours_rcpt, coalesce(c.theirs_rcpt, 0) as theirs_rcpt,
           coalesce(c.ours_att, 0) as ours_att, coalesce(c.theirs_att, 0) as theirs_att,
           a.activity_type = 'phonecall' and a.statecode = 1 and a.duration > 0 and not a.voicemail as connected
    from activities as a
    left join starters as s using (activity_id)
    left join counts as c using (activity_id)
    left join raw.systemuser as u on u.systemuserid = a.owner_id
),

records as (
    select 'lead' as record_type, leadid as record_id, createdon as created_at from raw.lead
    union all select 'opportunity', opportunityid, createdon from raw.opportunity
    union all select 'contact', contactid, createdon from raw.contact
    union all select 'account', accountid, createdon from raw.account
),

connection_ends as (
    select record1idobjecttypecode as record_type, record1id as record_id,
           record2idobjecttypecode || ':' || record2id as person_key, record2roleid as role_id, createdon
    from raw.connection where statecode = 0
    union all
    select record2idobjecttypecode, record2id, record1idobjecttypecode || ':' || record1id, record1roleid, createdon
    from raw.connection where statecode = 0
),

interest as (
    select 'lead' as record_type, leadid as record_id, 'lead:' || leadid as person_key, null::timestamp as valid_from
    from raw.lead
    union all select 'lead', leadid, 'contact:' || parentcontactid, null from raw.lead where parentcontactid is not null
    union all select 'lead', leadid, 'systemuser:' || ownerid, null from raw.lead where ownerid is not null
    union all select 'opportunity', opportunityid,
        'contact:' || coalesce(parentcontactid, case when customeridtype = 'contact' then customerid end), null
        from raw.opportunity where coalesce(parentcontactid, case when customeridtype = 'contact' then customerid end) is not null
    union all select 'opportunity', o.opportunityid, 'contact:' || a.primarycontactid, null
        from raw.opportunity as o join raw.account as a on a.accountid = o.parentaccountid where a.primarycontactid is not null
    union all select 'opportunity', opportunityid, 'systemuser:' || ownerid, null from raw.opportunity where ownerid is not null
    union all select 'account', parentcustomerid, 'contact:' || contactid, null from raw.contact where parentcustomeridtype = 'account'
    union all select 'account', accountid, 'contact:' || primarycontactid, null from raw.account where primarycontactid is not null
    union all select 'contact', contactid, 'contact:' || contactid, null from raw.contact
    union all select e.record_type, e.record_id, e.person_key, min(e.createdon)
        from connection_ends as e join raw.connectionrole as r on r.connectionroleid = e.role_id
        where (e.record_type = 'opportunity' and r.category in (1000, 1001)) or (e.record_type = 'lead' and r.category = 1000)
        group by all
),

interest_sided as (
    select i.*, case when i.person_key like 'systemuser:%' then 'ours' else 'theirs' end as side,
           case when i.record_type in ('lead', 'opportunity') then r.created_at else '1900-01-01'::timestamp end as counts_from
    from interest as i join records as r using (record_type, record_id)
),

customer_links as (
    select p.activity_id, i.record_type, i.record_id, any_value(a.ours_n) as ours_n,
           min(coalesce(i.valid_from, '1900-01-01'::timestamp)) as customer_from
    from people as p
    join acts as a on a.activity_id = p.activity_id
    join interest_sided as i on i.person_key = p.person_key and i.side = 'theirs'
    where p.takes_part and p.side = 'theirs' and coalesce(a.occurred_at, a.planned_at, a.created_at) >= i.counts_from
    group by all
),

internal_links as (
    select c.activity_id, c.record_type, c.record_id, min(coalesce(i.valid_from, '1900-01-01'::timestamp)) as internal_from
    from customer_links as c
    join people as p on p.activity_id = c.activity_id and p.takes_part and p.side = 'ours'
    join interest_sided as i on i.record_type = c.record_type and i.record_id = c.record_id
        and i.person_key = p.person_key and i.side = 'ours'
    group by all
),

links as (
    select record_type, record_id, activity_id, min(linked_from) as linked_from, bool_or(is_regarding) as is_regarding
    from (
        select regarding_type as record_type, regarding_id as record_id, activity_id, null::timestamp as linked_from,
               true as is_regarding
        from acts where regarding_type in ('lead', 'opportunity', 'account', 'contact') and regarding_id is not null
        union all
        select c.record_type, c.record_id, c.activity_id, greatest(c.customer_from, coalesce(n.internal_from, c.customer_from)),
               false
        from customer_links as c left join internal_links as n using (activity_id, record_type, record_id)
        where n.activity_id is not null or (c.record_type in ('account', 'contact') and c.ours_n > 0)
    )
    group by all
),

messages as (
    select activity_id, activity_type, side, starter_key, occurred_at, connected, parent_id, message_id, in_reply_to, thread
    from acts where activity_type in ('email', 'phonecall') and occurred_at is not null
),

call_people as (
    select p.activity_id, min(p.person_key) filter (side = 'ours') || '|' || min(p.person_key) filter (side = 'theirs') as pair
    from people as p where p.activity_type = 'phonecall' and p.takes_part group by p.activity_id
),

ordered as (
    select m.*, coalesce(case when m.activity_type = 'email' then m.thread end, cp.pair) as pairing_key,
           lag(m.activity_id) over w as previous_id, lag(m.connected) over w as previous_connected
    from messages as m left join call_people as cp using (activity_id)
    window w as (partition by coalesce(case when m.activity_type = 'email' then m.thread end, cp.pair)
                 order by m.occurred_at, m.activity_id)
),

first_messages as (
    select message_id, arg_min(activity_id, (occurred_at, activity_id)) as activity_id
    from messages where activity_type = 'email' and message_id is not null group by message_id
),

pairs as (
    select o.activity_id, o.activity_type as channel, o.side as responder_side, o.occurred_at as responded_at,
           q.side as answered_side, q.occurred_at as answered_at,
           date_diff('second', q.occurred_at, o.occurred_at) / 3600.0 as hours,
           o.side <> q.side and coalesce(o.starter_key, '') <> coalesce(q.starter_key, '-') and o.occurred_at >= q.occurred_at
               as counted,
           q.activity_id as answered_id
    from ordered as o
    left join messages as bp on o.activity_type = 'email' and bp.activity_id = o.parent_id and bp.activity_id <> o.activity_id
    left join first_messages as fm on o.activity_type = 'email' and fm.message_id = o.in_reply_to and fm.activity_id <> o.activity_id
    join messages as q on q.activity_id = case
        when o.activity_type = 'email' then coalesce(bp.activity_id, fm.activity_id,
                                                      case when o.pairing_key is not null then o.previous_id end)
        when o.pairing_key is not null and not o.previous_connected then o.previous_id end
),

moments as (
    select record_type, record_id, $as_of::timestamp as as_of_at from records where created_at < $as_of::timestamp
),

at_moment as (
    select m.record_type, m.record_id, m.as_of_at, a.*,
           coalesce(a.occurred_at < m.as_of_at, false) as done,
           not coalesce(a.occurred_at < m.as_of_at, false) and a.planned_at >= m.as_of_at and a.created_at < m.as_of_at
               and not (a.statecode = 2 and a.modified_at < m.as_of_at) as upcoming,
           case a.activity_type
               when 'email' then (case when a.side = 'ours' then $write_minutes else 0 end) + $read_minutes * a.ours_rcpt
               when 'appointment' then a.duration * a.ours_att else a.duration end as minutes_ours,
           case a.activity_type
               when 'email' then case when a.side = 'theirs' then $write_minutes when a.theirs_rcpt > 0 then $read_minutes else 0 end
               when 'appointment' then case when a.theirs_att > 0 then a.duration else 0 end
               when 'phonecall' then case when a.theirs_n > 0 then a.duration else 0 end else 0 end as minutes_theirs
    from moments as m
    join links as l using (record_type, record_id)
    join acts as a using (activity_id)
    where l.linked_from is null or l.linked_from < m.as_of_at
),

done as (select * from at_moment where done),

kpis as (
    select record_type, record_id, as_of_at,
        count(*) as activity_count,
        {% for name, kind, side in measures %}
        count(*) filter (activity_type = '{{ kind }}' {% if side %}and side = '{{ side }}'{% endif %}) as {{ name }}_count,
        count(*) filter (activity_type = '{{ kind }}' {% if side %}and side = '{{ side }}'{% endif %}
                         and occurred_at >= date_trunc('year', as_of_at)) as {{ name }}_this_year_count,
        count(*) filter (activity_type = '{{ kind }}' {% if side %}and side = '{{ side }}'{% endif %}
                         and occurred_at < date_trunc('year', as_of_at)) as {{ name }}_previous_years_count,
        count(*) filter (activity_type = '{{ kind }}' {% if side %}and side = '{{ side }}'{% endif %}
                         and occurred_at >= as_of_at - to_days($recent_days)) as {{ name }}_last_n_days_count,
        {% endfor %}
        count(*) filter (side = 'theirs') as customer_initiated_count,
        sum(minutes_ours) / 60.0 as hours_ours, sum(minutes_theirs) / 60.0 as hours_theirs,
        max(occurred_at) filter (side = 'ours') as last_activity_ours_at,
        arg_max(activity_type, (occurred_at, activity_id)) filter (side = 'ours') as last_activity_ours_type,
        arg_max(starter_name, (occurred_at, activity_id)) filter (side = 'ours') as last_activity_ours_by,
        max(occurred_at) filter (side = 'theirs') as last_activity_theirs_at,
        arg_max(activity_type, (occurred_at, activity_id)) filter (side = 'theirs') as last_activity_theirs_type,
        arg_max(starter_name, (occurred_at, activity_id)) filter (side = 'theirs') as last_activity_theirs_by,
        min(occurred_at) as first_activity_at
    from done group by all
),

next_ours as (
    select record_type, record_id, as_of_at, min(planned_at) as next_activity_ours_at,
           arg_min(activity_type, (planned_at, activity_id)) as next_activity_ours_type
    from at_moment where upcoming and side = 'ours' group by all
),

responses as (
    select d.record_type, d.record_id, d.as_of_at,
           avg(p.hours) filter (p.responder_side = 'ours') as avg_response_hours_ours,
           avg(p.hours) filter (p.responder_side = 'theirs') as avg_response_hours_theirs,
           avg(p.hours) filter (p.responder_side = 'ours' and p.channel = 'email') as avg_email_response_hours_ours,
           avg(p.hours) filter (p.responder_side = 'theirs' and p.channel = 'email') as avg_email_response_hours_theirs
    from done as d join pairs as p using (activity_id)
    where p.counted and (p.channel = 'email' or p.hours <= $callback_hours)
    group by all
),

first_replies as (
    select answered_id, min(responded_at) as first_reply_at from pairs
    where counted and responder_side = 'theirs' and channel = 'email' group by answered_id
),

rates as (
    select d.record_type, d.record_id, d.as_of_at,
           count(*) filter (r.first_reply_at < d.as_of_at) as our_emails_replied_count,
           count(*) filter (r.first_reply_at < d.as_of_at) / count(*) as customer_response_rate
    from done as d left join first_replies as r on r.answered_id = d.activity_id
    where d.activity_type = 'email' and d.side = 'ours' group by all
),

person_names as (select person_key, max(person_name) as person_name from people where person_key is not null group by all),

top_people as (
    select record_type, record_id, as_of_at,
           arg_min(person_name, (-n, person_name, person_key)) filter (side = 'theirs') as most_contacted_name,
           arg_min(person_name, (-n, person_name, person_key)) filter (side = 'ours') as most_contacted_by_name
    from (
        select d.record_type, d.record_id, d.as_of_at, pp.side, pp.person_key, count(*) as n
        from done as d
        join (select distinct activity_id, side, person_key from people
              where takes_part and person_key is not null and side is not null) as pp using (activity_id)
        where pp.person_key <> d.record_type || ':' || d.record_id
        group by all
    ) join person_names using (person_key)
    group by all
)

select m.record_type, m.record_id, m.as_of_at, k.* exclude (record_type, record_id, as_of_at),
       n.next_activity_ours_at, n.next_activity_ours_type,
       r.* exclude (record_type, record_id, as_of_at),
       coalesce(t.our_emails_replied_count, 0) as our_emails_replied_count, t.customer_response_rate,
       case when k.emails_received_count > 0 then k.emails_sent_count / k.emails_received_count end as emails_sent_to_received_ratio,
       p.most_contacted_name, p.most_contacted_by_name
from moments as m
left join kpis as k using (record_type, record_id, as_of_at)
left join next_ours as n using (record_type, record_id, as_of_at)
left join responses as r using (record_type, record_id, as_of_at)
left join rates as t using (record_type, record_id, as_of_at)
left join top_people as p using (record_type, record_id, as_of_at)
