"""docs/contract.md is generated from the contract YAML and must be up to date."""

from __future__ import annotations

from pathlib import Path

from rapport.cli import main
from rapport.contract import load_contract
from rapport.contract_docs import DOC_PATH, render_contract_markdown


def test_committed_contract_doc_is_up_to_date():
    assert DOC_PATH.read_text(encoding="utf-8") == render_contract_markdown(), (
        "docs/contract.md is out of date: run `rapport contract docs` and commit it"
    )


def test_doc_lists_every_table_and_column():
    text = render_contract_markdown()
    for table in load_contract().tables:
        assert f"### {table.name}" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    assert "0 Open, 1 Completed, 2 Canceled" in text
    assert "also `regardingobjectid_entitytype`" in text


def test_cli_writes_and_checks_the_doc(tmp_path: Path, capsys):
    target = tmp_path / "contract.md"
    assert main(["contract", "docs", "--check", "--output", str(target)]) == 2
    assert "out of date" in capsys.readouterr().err
    assert main(["contract", "docs", "--output", str(target)]) == 0
    assert main(["contract", "docs", "--check", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_contract_markdown()
