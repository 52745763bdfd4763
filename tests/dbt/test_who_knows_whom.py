"""Who-knows-whom end to end on a generated tiny CRM: strength, ranking quality, opt-out and the CLI.

One tiny CRM (seed 42) is generated and loaded into a temporary DuckDB warehouse; dbt builds
``fct_who_knows_whom`` and ``fct_company_connections`` with their ancestors (and runs their data and unit
tests) through ``rapport.transform.run_dbt``. The marts are compared with the independent pandas reference
(``tests.support.who_knows_whom_reference``) and with the generator's ground truth; a copy is rebuilt with
colleagues opted out; the published copy answers ``rapport who-knows``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.settings import Settings
from rapport.transform import run_dbt
from tests.support.raw_loader import load_export
from tests.support.warehouses import TINY_CRM_END_DATE, Warehouse, warehouse_in
from tests.support.who_knows_whom_reference import evaluate_ranking, reference_pairs

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
FULL_SELECTION = "+fct_who_knows_whom +fct_company_connections"
OWN_SELECTION = "path:models/intermediate/who_knows_whom path:models/marts/who_knows_whom"


def _build(warehouse: Warehouse, select: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        patch.setenv("RAPPORT_HOME", str(warehouse.settings.var_dir))
        summary = run_dbt(
            "build",
            settings=warehouse.settings,
            config=warehouse.config,
            as_of=AS_OF,
            select=select,
            extra=["--quiet", "--indirect-selection", "cautious"],
        )
    assert summary.succeeded and summary.tests_passed >= 40, summary


def _read(path: Path, sql: str) -> pd.DataFrame:
    from rapport import warehouse

    with warehouse.connect(path) as connection:
        return connection.execute(sql).df()


@pytest.fixture(scope="module")
def export_dir(tiny_crm_export: Path) -> Path:
    assert AS_OF.date() == TINY_CRM_END_DATE
    return tiny_crm_export


@pytest.fixture(scope="module")
def built(export_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = warehouse_in(tmp_path_factory.mktemp("full"), load_config())
    load_export(export_dir, warehouse.path)
    _build(warehouse, FULL_SELECTION)
    return warehouse


@pytest.fixture(scope="module")
def mart(built: Warehouse) -> pd.DataFrame:
    return _read(built.path, "select * from marts.fct_who_knows_whom")


def test_strength_equals_an_independent_pandas_computation(
    built: Warehouse, export_dir: Path, mart: pd.DataFrame
):
    reference = reference_pairs(export_dir, AS_OF, built.config.who_knows_whom)
    assert len(mart) > 500 and len(reference) == len(mart)
    # a handful of pairs of every kind: the strongest, the weakest, people with meetings, calls, leads
    picks = pd.concat(
        [
            mart.nlargest(3, "weighted_interactions"),
            mart.nsmallest(3, "weighted_interactions"),
            mart[mart.meetings_together > 0].sample(3, random_state=1),
            mart[mart.calls > 0].sample(3, random_state=2),
            mart[mart.person_type == "lead"].sample(3, random_state=3),
        ]
    ).drop_duplicates("who_knows_whom_key")
    compared = picks.merge(
        reference, on=["colleague_id", "person_key"], suffixes=("", "_ref"), validate="1:1"
    )
    assert len(compared) == len(picks) >= 12
    for column in ("emails_sent", "emails_received", "meetings_together", "calls"):
        assert (compared[column] == compared[f"{column}_ref"]).all(), column
    assert compared.weighted_interactions.to_numpy() == pytest.approx(
        compared.weighted_interactions_ref.to_numpy()
    )
    assert (compared.strength.astype(float) == compared.strength_ref).all()
    assert (compared.last_interaction_at == compared.last_interaction_at_ref).all()
    # and over every pair, the rank follows the weighted total
    everything = mart.merge(reference, on=["colleague_id", "person_key"], suffixes=("", "_ref"))
    assert len(everything) == len(mart)
    assert everything.weighted_interactions.to_numpy() == pytest.approx(
        everything.weighted_interactions_ref.to_numpy()
    )
    assert everything.knows_score.to_numpy() == pytest.approx(everything.knows_score_ref.to_numpy())
    assert (everything.threads_shared == everything.threads_shared_ref).all()
    assert (everything.strength.astype(float) == everything.strength_ref).all()
    assert (mart.strength.astype(float) > 0).all()  # no relationship rounds to nothing
    # the rank follows the "knows well" score, not the raw weighted total
    first = mart[mart["rank"] == 1].set_index("person_key").knows_score
    assert (mart.groupby("person_key").knows_score.max().loc[first.index] == first).all()
    assert mart.last_interaction_at.max() < pd.Timestamp(AS_OF.replace(tzinfo=None))


def _crowded_pairs(scores: np.ndarray, shown: np.ndarray) -> int:
    """Pairs of rows where one score is at least 10 % above the other but its strength does not show higher."""
    clearly_higher = scores[:, None] >= 1.1 * scores[None, :]
    return int((clearly_higher & (shown[:, None] <= shown[None, :])).sum())


def test_strength_spreads_at_the_top(built: Warehouse, mart: pd.DataFrame) -> None:
    """The strongest relationships stay apart on the 0-100 display: among the 50 pairs with the highest
    knows_score none shows 100.0, and a score 10 % above another always shows a higher strength. The
    former transform, 100 x (1 - 0.5 ^ (score / half_at)), showed all of them as 100.0: the check fails on it."""
    top = mart.nlargest(50, "knows_score")
    scores = top.knows_score.to_numpy(dtype=float)
    shown = top.strength.to_numpy(dtype=float)
    assert shown.max() < 100.0
    assert _crowded_pairs(scores, shown) == 0
    assert shown.max() - shown.min() >= 3.0  # spread over several points, not crowded in the last one
    # still ordered everywhere: a higher score never shows a lower strength
    ordered = mart.sort_values("knows_score").strength.to_numpy(dtype=float)
    assert (ordered[1:] >= ordered[:-1]).all()
    half_at = built.config.who_knows_whom.strength_half_at
    former = np.round(100 * (1 - 0.5 ** (scores / half_at)), 1)
    assert (former >= 100.0).sum() >= 2
    assert _crowded_pairs(scores, former) > 0


def test_ranking_finds_the_true_strongest_colleague(built: Warehouse, export_dir: Path):
    evaluation = evaluate_ranking(built.path, export_dir)
    # Measured on this sample (tiny, seed 42, as of 2026-11-01, half-life 90 days): 407 contacts,
    # top-1 88.7 %, top-3 97.5 %, record owner 87.7 %, most recent e-mailer 67.8 %, and 62 % of the 50
    # contacts whose strongest colleague is not their owner (where the owner baseline is 0 by construction).
    # The floors leave about 8-10 points of margin for generator changes; the owner baseline is strong in
    # this generator (the account owner holds the strongest tie for most contacts), so the claim tested is
    # "at least as good as the owner overall, and right where the owner is wrong".
    assert evaluation.contacts >= 300
    assert evaluation.top1 >= 0.80
    assert evaluation.top3 >= 0.90
    assert evaluation.top1 >= evaluation.owner_top1 - 0.01
    assert evaluation.top1 >= evaluation.recent_emailer_top1 + 0.10
    assert evaluation.owner_wrong_contacts >= 30
    assert evaluation.owner_wrong_top1 >= 0.45


@pytest.fixture(scope="module")
def opted_out(built: Warehouse, mart: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A copy of the warehouse rebuilt with the two busiest colleagues opted out (by e-mail and by id)."""
    busiest = mart.groupby(["colleague_id", "colleague_email"]).size().sort_values().index[-2:]
    (by_email_id, by_email), (by_id, _) = busiest
    opt_out = (f"  {by_email.upper()} ", by_id.upper())
    home = tmp_path_factory.mktemp("opted")
    config = replace(built.config, who_knows_whom=replace(built.config.who_knows_whom, opt_out=opt_out))
    warehouse = warehouse_in(home, config)
    shutil.copy(built.path, warehouse.path)
    _build(warehouse, OWN_SELECTION)
    return warehouse, {by_email_id, by_id}


def test_opted_out_colleagues_never_appear(opted_out: tuple, mart: pd.DataFrame):
    warehouse, removed = opted_out
    for table in (
        "intermediate.int_colleague_interactions_paired",
        "marts.fct_who_knows_whom",
        "marts.fct_company_connections",
    ):
        seen = set(_read(warehouse.path, f"select distinct colleague_id from {table}").colleague_id)
        assert seen and not seen & removed, table
    after = _read(warehouse.path, "select * from marts.fct_who_knows_whom")
    kept = mart[~mart.colleague_id.isin(removed)]
    # everyone else keeps their figures; the ranks close up
    assert len(after) == len(kept) < len(mart)
    merged = kept.merge(after, on="who_knows_whom_key", suffixes=("", "_after"))
    assert (merged.strength == merged.strength_after).all()
    assert (after.groupby("person_key")["rank"].min() == 1).all()


@pytest.fixture(scope="module")
def published(built: Warehouse) -> Settings:
    from rapport.publish import publish_marts

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(built.path))
        publish_marts(built.settings, AS_OF.date())
    return built.settings


def _run_cli(settings: Settings, subject: str, top: int = 10) -> None:
    from rapport.commands.who_knows import run_who_knows

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_HOME", str(settings.var_dir))
        run_who_knows(argparse.Namespace(subject=subject, top=top))


def test_cli_ranks_the_colleagues_of_an_address(published: Settings, mart: pd.DataFrame, capsys):
    busiest = mart[mart.person_type == "contact"].groupby("person_key").size().idxmax()
    rows = mart[mart.person_key == busiest].sort_values("rank")
    email = rows.person_email.iloc[0]
    _run_cli(published, email.upper(), top=3)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Who knows {rows.person_name.iloc[0]} <{email}>")
    assert "as of 2026-11-01" in out[0] and f"{len(rows)} colleagues, top 3 shown" in out[0]
    table = out[3:]
    assert len(table) == 3
    for line, (_, row) in zip(table, rows.head(3).iterrows(), strict=True):
        assert line.split()[0] == str(row["rank"]) and row.colleague_email in line
        assert f"{row.strength:.1f}" in line and f"{row.last_interaction_at:%Y-%m-%d}" in line
    strengths = [float(line[50:58]) for line in table]
    assert strengths == sorted(strengths, reverse=True)

    # the same person by contact id, and their company by name
    _run_cli(published, rows.person_id.iloc[0], top=1)
    assert email in capsys.readouterr().out
    _run_cli(published, rows.company_name.iloc[0].lower(), top=2)
    company = capsys.readouterr().out
    assert company.startswith(f"Who knows {rows.company_name.iloc[0]} (account)") and "people" in company


def test_cli_explains_unknown_addresses_and_missing_publication(
    published: Settings, mart: pd.DataFrame, tmp_path
):
    known_domain = mart[mart.person_type == "contact"].person_email.iloc[0].split("@")[1]
    with pytest.raises(CommandError, match="nobody at the customer matches") as error:
        _run_cli(published, f"no.such.person@{known_domain}")
    assert "similar addresses" in str(error.value) and "person_email" in str(error.value)
    # the listing command it prints works as printed, from a shell without the venv on PATH
    (listing,) = [line for line in str(error.value).splitlines() if "list known addresses:" in line]
    command = listing.split("list known addresses: ", 1)[1].replace("part-of-it", known_domain)
    listed = subprocess.run(
        ["bash", "-c", command], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert known_domain in listed.stdout
    with pytest.raises(CommandError, match="one of our colleagues"):
        _run_cli(published, mart.colleague_email.iloc[0])
    empty = Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var")})
    with pytest.raises(CommandError, match="run `rapport run` first"):
        _run_cli(empty, "anyone@example.org")
