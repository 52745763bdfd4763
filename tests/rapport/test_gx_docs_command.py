"""``rapport gx docs``: prints the Data Docs' index, serves them on 127.0.0.1, says when there are none."""

from __future__ import annotations

import threading
import urllib.request

from rapport.cli import main
from rapport.commands.gx import docs_server
from rapport.settings import Settings
from rapport.validation.data_docs import index_path, write_index


def test_without_docs_it_says_how_they_are_made(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path / "var"))
    assert main(["gx", "docs"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("rapport: error: no Data Docs yet in ") and "rapport run" in error


def test_it_prints_the_index_and_serves_the_folder_locally(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path / "var"))
    settings = Settings.from_env()
    write_index(settings.var_dir)  # an empty store: an index with no rows
    assert main(["gx", "docs"]) == 0
    assert capsys.readouterr().out.strip() == str(index_path(settings.var_dir))

    server = docs_server(index_path(settings.var_dir).parent, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as response:
            assert response.status == 200 and b"Validation results" in response.read()
        stylesheet = f"http://127.0.0.1:{port}/static/styles/rapport_offline.css"  # linked by the index
        with urllib.request.urlopen(stylesheet, timeout=10) as response:
            assert response.status == 200 and b"table" in response.read()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_run_summary_links_the_docs_once_built(tmp_path):
    from datetime import date

    from rapport.summary import RunSummary, render_summary

    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var")})
    summary = RunSummary(date(2026, 11, 27), 0, 0, 0, 0, (), 0, 0, 0, {})
    assert "data docs" not in render_summary(summary, settings)
    write_index(settings.var_dir)
    assert f"data docs    {index_path(settings.var_dir)}" in render_summary(summary, settings)
