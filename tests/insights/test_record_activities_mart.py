"""fct_record_activities (the record page's history) agrees with the relationship KPIs of the same run."""

from __future__ import annotations

import pytest

from tests.insights.conftest import TinyRun, published_rows

pytestmark = [pytest.mark.slow]


def test_done_activities_are_the_kpis_activity_count_and_upcoming_ones_exist_when_a_next_is_known(
    tiny_run: TinyRun,
) -> None:
    mismatches = published_rows(
        tiny_run.published,
        """
        with history as (
            select record_type, record_id, count(*) filter (where is_done) as done,
                   count(*) filter (where is_upcoming) as upcoming,
                   max(occurred_at) filter (where is_done and initiator_side = 'ours') as last_ours
            from fct_record_activities group by all
        )
        select k.record_type, k.record_id, k.activity_count, h.done, k.next_activity_ours_at, h.upcoming
        from fct_relationship_kpis as k left join history as h using (record_type, record_id)
        where k.as_of_date = (select ds from _publication)
            and (coalesce(h.done, 0) <> k.activity_count
                 or (k.next_activity_ours_at is not null and coalesce(h.upcoming, 0) = 0))
        """,
    )
    assert mismatches == []
    (records, rows) = published_rows(
        tiny_run.published, "select count(distinct record_key), count(*) from fct_record_activities"
    )[0]
    assert records > 100 and rows > records
