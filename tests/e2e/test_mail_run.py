"""The whole DAG on a real mail archive: ``rapport run --source mail:PATH --internal-domain D``.

The notmuch lkml corpus (real mailing-list mail, 210 files, 176 unique messages) goes through every task as
a CRM export would. The run has no leads or opportunities, so the readiness gate holds the models back and
the run still succeeds. Checked against an independent reading of the same files (``tests.support.mail``):
the e-mails landed, the replies the relationship models count as responses and their response times, and
who-knows-whom names only our own colleagues.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.mail import corpus_dir, maildir_view, read_independently, reply_pairs, sender_identity

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RAPPORT = Path(sys.executable).parent / "rapport"
INTERNAL_DOMAIN = "redhat.com"
AS_OF = "2011-03-01"  # just after the corpus's last message (2011-02): strength decays with age


@pytest.fixture(scope="module")
def mail_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    home = tmp_path_factory.mktemp("mail-e2e") / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "RAPPORT_", "MLFLOW_", "DBT_"))
    }
    env["RAPPORT_HOME"] = str(home)
    result = subprocess.run(
        [
            str(RAPPORT),
            "run",
            "--date",
            AS_OF,
            "--source",
            f"mail:{corpus_dir() / 'lkml'}",
            "--internal-domain",
            INTERNAL_DOMAIN,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.fail(f"rapport run exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return home, result


@pytest.fixture(scope="module")
def independent(tmp_path_factory):
    return read_independently(
        maildir_view(corpus_dir() / "lkml", tmp_path_factory.mktemp("view")), maildir=True
    )


def _rows(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_the_run_succeeds_without_models_and_says_why(mail_run):
    _, result = mail_run
    assert "counts reconcile (raw = clean + quarantined) for every table" in result.stdout
    assert "scored       0 leads, 0 opportunities" in result.stdout
    assert "champions    none yet" in result.stdout


def test_every_unique_message_lands_as_one_email(mail_run, independent):
    home, _ = mail_run
    landed = dict(_rows(home, "select messageid, count(*) from raw.email group by messageid"))
    assert len(landed) == len(independent.messages) == 176
    assert set(landed.values()) == {1}


def test_counted_responses_and_their_times_match_an_independent_reading(mail_run, independent):
    """A reply counts when it answers the other side (our domain vs theirs) and another person."""
    home, _ = mail_run
    identity = sender_identity(independent)

    def ours(message_id: str) -> bool:
        return identity[message_id].endswith("@" + INTERNAL_DOMAIN)

    expected = {
        child: (independent.messages[child].date - independent.messages[parent].date).total_seconds() / 3600
        for child, parent in reply_pairs(independent, through_gateway=True).items()
        if identity[child] != identity[parent] and ours(child) != ours(parent)
    }
    measured = dict(
        _rows(
            home,
            """
            select email.messageid, paired.response_hours
            from intermediate.int_activity_responses_paired as paired
            inner join raw.email as email on email.activityid = paired.activity_id
            where paired.is_counted_response and paired.pairing_method = 'parent e-mail'
            """,
        )
    )
    assert expected, "the corpus has replies across the two sides"
    assert measured.keys() == expected.keys()
    assert all(abs(measured[key] - expected[key]) < 1e-6 for key in expected)


def test_who_knows_whom_ranks_only_our_colleagues(mail_run, independent):
    home, _ = mail_run
    rows = _rows(
        home,
        "select colleague_email, person_email, strength, rank from marts.fct_who_knows_whom",
    )
    assert rows
    assert all(colleague.endswith("@" + INTERNAL_DOMAIN) for colleague, *_ in rows)
    assert not any(person.endswith("@" + INTERNAL_DOMAIN) for _, person, *_ in rows)
    assert all(0 <= strength <= 100 for *_, strength, _ in rows)
    assert max(strength for *_, strength, _ in rows) > 0
    ranks: dict[str, list[int]] = {}
    for _, person, _, rank in rows:
        ranks.setdefault(person, []).append(rank)
    assert all(sorted(found) == list(range(1, len(found) + 1)) for found in ranks.values())
