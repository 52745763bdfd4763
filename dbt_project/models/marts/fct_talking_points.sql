-- Talking points per contact: for each category a contact has mentioned in an inbound e-mail, the
-- latest mention (when, the sentence, which e-mail) and how many e-mails mentioned it.
with

mentions as (
    select * from {{ ref('stg_enrich__talking_point_mentions') }}
),

ranked as (
    select
        contact_id,
        category,
        email_id,
        keyword,
        snippet,
        language,
        mentioned_at,
        count(*) over (partition by contact_id, category) as mention_count,
        row_number() over (
            partition by contact_id, category
            order by mentioned_at desc, email_id desc
        ) as recency_rank
    from mentions
),

final as (
    select
        {{ dbt.hash(dbt.concat(["contact_id", "'|'", "category"])) }} as talking_point_id,
        contact_id,
        category,
        email_id as last_email_id,
        keyword as last_keyword,
        snippet as last_snippet,
        language as last_language,
        mentioned_at as last_mentioned_at,
        cast(mentioned_at as date) as last_mentioned_date,
        mention_count
    from ranked
    where recency_rank = 1
)

select * from final
