"""One installed package, ``rapport``, whose imports go one way (docs/architecture.md, "Code layout").

The layer order is declared here, once. A module may import its own layer and the layers below it, never one
above: every ``import`` and ``from ... import`` is checked, at module top, inside functions and under
``TYPE_CHECKING``, over every module of the package (``rapport.ml`` and ``rapport.expectations`` included,
read through the symlinks ``dags/rapport/ml`` and ``dags/rapport/expectations``).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from rapport.settings import PROJECT_ROOT

PACKAGE_DIR = PROJECT_ROOT / "dags" / "rapport"

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base: errors, settings, contract, config, warehouse",
        (
            "rapport",
            "rapport.errors",
            "rapport.settings",
            "rapport.home",
            "rapport.redaction",
            "rapport.results",
            "rapport.run_lock",
            "rapport.contract",
            "rapport.contract_arrow",
            "rapport.contract_casting",
            "rapport.config",
            "rapport.duckdb_session",
            "rapport.warehouse",
            "rapport.run_context",
            "rapport.parallel",
        ),
    ),
    ("sample CRM (a source beside extract)", ("rapport.sample",)),
    ("extract", ("rapport.extract",)),
    ("validation", ("rapport.validation", "rapport.expectations")),
    ("text analysis", ("rapport.ml.notes",)),
    ("transform (dbt)", ("rapport.transform", "rapport.build_fingerprint")),
    ("scoring", ("rapport.ml",)),
    ("write-back and publish", ("rapport.writeback", "rapport.publish")),
    (
        "application: task bodies, run summary, insight pages, command line",
        (
            "rapport.pipeline",
            "rapport.runner",
            "rapport.summary",
            "rapport.who_knows_whom",
            "rapport.insights",
            "rapport.contract_docs",
            "rapport.commands",
            "rapport.cli",
        ),
    ),
)
OLD_TOP_LEVEL = ("ml", "expectations")  # now rapport.ml and rapport.expectations


def layer_of(module: str) -> int | None:
    """Index in :data:`LAYERS` of ``module`` (longest prefix wins), or None when no layer declares it."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    return None if best is None else best[1]


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name, following the ml/ and expectations/ symlinks."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE_DIR, followlinks=True):
        for name in files:
            if name.endswith(".py"):
                path = Path(folder) / name
                parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts.pop()
                modules[".".join(parts)] = path
    return modules


def imported_modules(tree: ast.AST, known: set[str]) -> list[tuple[str, int]]:
    """(module, line) of every absolute import in ``tree``; ``from a import b`` counts ``a.b`` when a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule if submodule in known else node.module, node.lineno))
    return found


def layer_violations(modules: dict[str, Path]) -> list[str]:
    known = set(modules)
    problems = []
    for name, path in sorted(modules.items()):
        source = layer_of(name)
        if source is None:
            problems.append(f"{name} belongs to no layer: add it to LAYERS in {Path(__file__).name}")
            continue
        for target, line in imported_modules(ast.parse(path.read_text(), str(path)), known):
            if target.split(".")[0] in OLD_TOP_LEVEL:
                problems.append(f"{name}:{line} imports {target}: the package is rapport.{target}")
            target_layer = layer_of(target) if target.startswith("rapport") else None
            if target_layer is not None and target_layer > source:
                problems.append(
                    f"{name}:{line} ({LAYERS[source][0]}) imports {target} ({LAYERS[target_layer][0]}), "
                    "a layer above it"
                )
    return problems


def test_every_module_is_in_a_layer_and_imports_only_its_layer_or_below():
    modules = package_modules()
    assert {"rapport.ml.train", "rapport.ml.notes.analyzer", "rapport.expectations.lead"} <= set(modules)
    assert layer_violations(modules) == []


def test_the_walk_catches_an_upward_import(tmp_path: Path):
    """The checker itself: a scoring module importing the task bodies, and an old top-level name, fail."""
    scoring = tmp_path / "rapport" / "ml" / "bad.py"
    scoring.parent.mkdir(parents=True)
    scoring.write_text("def f():\n    from rapport.pipeline import train_model\n    from ml.train import x\n")
    problems = layer_violations({"rapport.ml.bad": scoring, "rapport.pipeline": scoring})
    assert any("rapport.ml.bad:2 (scoring) imports rapport.pipeline" in problem for problem in problems)
    assert any("imports ml.train: the package is rapport.ml.train" in problem for problem in problems)
    assert layer_of("rapport.ml.notes.text") < layer_of("rapport.transform") < layer_of("rapport.ml.train")


def test_no_file_imports_the_old_top_level_names():
    """dags/, tests/ and bench/ use rapport.ml and rapport.expectations (one name per module, never two)."""
    problems = []
    for folder in ("dags", "tests", "bench"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for target, line in imported_modules(ast.parse(path.read_text(), str(path)), set()):
                if target.split(".")[0] in OLD_TOP_LEVEL:
                    problems.append(f"{path.relative_to(PROJECT_ROOT)}:{line} imports {target}")
    assert problems == []


def test_the_install_exposes_only_rapport():
    """Outside the checkout's folder, ``ml``, ``expectations`` and ``tests`` are not importable: Airflow's DAG
    processor and the command line can import a module under one name only (``dags/rapport`` is in
    ``dags/.airflowignore``, so Airflow never parses the package as DAG files either)."""
    probe = (
        "import importlib.util as u, rapport.ml.train, rapport.expectations;"
        "print([n for n in ('ml', 'expectations', 'tests') if u.find_spec(n)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd="/", capture_output=True, text=True, check=True, env=_clean_env()
    )
    assert result.stdout.strip() == "[]"
    assert "rapport" in (PROJECT_ROOT / "dags" / ".airflowignore").read_text().split()


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
