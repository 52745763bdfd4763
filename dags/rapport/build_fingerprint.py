"""Skip the relationship models when nothing they read has changed since their last successful build.

A group of dbt models (the relationship marts and everything they read) is fingerprinted from:
  - every source table it reads, by row count and a hash of every row's content (so a changed value,
    an added or a deleted row all change it);
  - the dbt project's files (models, macros, tests, dbt_project.yml) and the dbt version;
  - the vars of the invocation: every tunable of rapport.toml handed to dbt and the run's as-of moment
    (so a changed ``[relationship]`` setting, or another day, rebuilds).
The fingerprint is stored in ``audit.build_fingerprints`` after a successful build and deleted before any
build of the group starts (a failed build never leaves a stale "unchanged"). When the stored fingerprint
equals today's and the group's tables exist, the group is excluded from the build. The check needs no
dbt parse: the group's models and sources come from the state the last build stored (read from dbt's
manifest then), so a re-run with nothing new costs the row hashes and little else.

Only the row hash is DuckDB-specific (``hash(row)``, :func:`source_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

RELATIONSHIPS = "relationships"
# the relationship marts and every model they read (the same selection as bench/bench_relationships.py)
RELATIONSHIP_SELECTION = "+path:models/marts/relationships"
RELATIONSHIP_MARTS_PATH = "models/marts/relationships/"
# what the project checksum leaves out: run artefacts, and the profile (threads, memory: not outputs)
_NOT_CODE = frozenset({"target", "logs", "dbt_packages", "profiles.yml", ".user.yml"})

STATE_DDL = """
    CREATE SCHEMA IF NOT EXISTS audit;
    CREATE TABLE IF NOT EXISTS audit.build_fingerprints (
        group_name VARCHAR PRIMARY KEY, -- e.g. relationships
        fingerprint VARCHAR NOT NULL,   -- sha256 of sources, code and vars (hex)
        as_of VARCHAR NOT NULL,         -- the run's as-of moment the group was built for
        sources JSON NOT NULL,          -- per source table (schema.table): rows and content hash
        models JSON NOT NULL,           -- the group's model names (excluded from a build when unchanged)
        relations JSON NOT NULL,        -- schema.table of its models stored as tables (must still exist)
        built_at TIMESTAMP NOT NULL     -- when the build that stored it finished (session time zone)
    )
"""


@dataclass(frozen=True)
class ModelGroup:
    """The models of a skippable group, as read from dbt's manifest."""

    name: str
    models: tuple[str, ...]  # model names (dbt selectors)
    relations: tuple[str, ...]  # schema.alias of the models stored as tables
    sources: tuple[str, ...]  # schema.identifier of the source tables they read


@dataclass(frozen=True)
class GroupDecision:
    """Whether the group must be built, and why."""

    group: ModelGroup | None  # None: no earlier build recorded
    unchanged: bool
    reason: str  # e.g. "relationship marts unchanged since 2026-11-01 03:12:40: skipped"


def relationship_group(manifest: Any) -> ModelGroup:
    """The relationship marts and every model they read, from a parsed dbt manifest."""
    roots = [
        unique_id
        for unique_id, node in manifest.nodes.items()
        if _kind(node) == "model" and str(node.original_file_path).startswith(RELATIONSHIP_MARTS_PATH)
    ]
    if not roots:
        raise ValueError(f"no dbt model under {RELATIONSHIP_MARTS_PATH}: the project layout changed")
    return _group(manifest, RELATIONSHIPS, roots)


def _kind(node: Any) -> str:
    return str(getattr(node.resource_type, "value", node.resource_type))


def _group(manifest: Any, name: str, roots: Iterable[str]) -> ModelGroup:
    models: set[str] = set()
    sources: set[str] = set()
    pending = list(roots)
    while pending:
        unique_id = pending.pop()
        if unique_id in models or unique_id in sources:
            continue
        if unique_id in manifest.sources:
            sources.add(unique_id)
            continue
        node = manifest.nodes.get(unique_id)
        if node is None or _kind(node) not in {"model", "seed"}:
            continue
        models.add(unique_id)
        pending.extend(node.depends_on.nodes)
    nodes = [manifest.nodes[unique_id] for unique_id in models]
    return ModelGroup(
        name=name,
        models=tuple(sorted(node.name for node in nodes)),
        relations=tuple(
            sorted(
                f"{node.schema}.{node.alias}"
                for node in nodes
                if node.config.materialized in {"table", "incremental"}
            )
        ),
        sources=tuple(
            sorted(f"{manifest.sources[u].schema}.{manifest.sources[u].identifier}" for u in sources)
        ),
    )


def project_checksum(project_dir: Path, dbt_version: str) -> str:
    """sha256 over the dbt version and every file of the dbt project but run artefacts and the profile."""
    digest = hashlib.sha256(dbt_version.encode())
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if path.is_file() and not _NOT_CODE.intersection(relative.parts):
            digest.update(f"{relative.as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def source_fingerprint(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Any]:
    """Row count and the sum of every row's hash (DuckDB's ``hash`` of the whole row; 0.2 s per million).

    A sum, not an xor, so two identical rows do not cancel out. A missing table is recorded as missing.
    """
    if not _exists(connection, relation):
        return {"missing": True}
    schema, table = relation.split(".", 1)
    rows, content = connection.execute(
        f'select count(*), coalesce(sum(hash(source_row)), 0)::varchar from "{schema}"."{table}" as source_row'
    ).fetchone() or (0, "0")
    return {"rows": int(rows), "content": str(content)}


def _fingerprint(
    connection: duckdb.DuckDBPyConnection, sources: Iterable[str], code: str, variables: dict[str, Any]
) -> tuple[str, dict[str, dict[str, Any]]]:
    tables = {relation: source_fingerprint(connection, relation) for relation in sources}
    payload = json.dumps({"sources": tables, "code": code, "vars": variables}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest(), tables


def decide(
    connection: duckdb.DuckDBPyConnection, name: str, code: str, variables: dict[str, Any], label: str
) -> GroupDecision:
    """Compare today's fingerprint of group ``name`` with the one its last successful build stored.

    Today's is computed over the sources that build recorded: if the code changed so that the group reads
    other sources, ``code`` differs and the group is rebuilt (and the new sources recorded).
    """
    connection.execute(STATE_DDL)
    stored = connection.execute(
        "select fingerprint, built_at, sources, models, relations from audit.build_fingerprints "
        "where group_name = ?",
        [name],
    ).fetchone()
    if stored is None:
        return GroupDecision(None, False, f"{label}: no earlier build recorded, building")
    fingerprint, built_at, sources, models, relations = stored
    group = ModelGroup(
        name, tuple(json.loads(models)), tuple(json.loads(relations)), tuple(json.loads(sources))
    )
    since = f"{built_at:%Y-%m-%d %H:%M:%S}"
    if _fingerprint(connection, group.sources, code, variables)[0] != fingerprint:
        return GroupDecision(group, False, f"{label}: inputs changed since {since}, building")
    missing = [relation for relation in group.relations if not _exists(connection, relation)]
    if missing:
        return GroupDecision(group, False, f"{label}: {', '.join(missing)} missing, building")
    return GroupDecision(group, True, f"{label} unchanged since {since}: skipped")


def _exists(connection: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, table = relation.split(".", 1)
    row = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def forget(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete the stored fingerprint before the group is (re)built: a failed build is never 'unchanged'."""
    connection.execute(STATE_DDL)
    connection.execute("delete from audit.build_fingerprints where group_name = ?", [name])


def remember(
    connection: duckdb.DuckDBPyConnection,
    group: ModelGroup,
    code: str,
    variables: dict[str, Any],
    as_of: datetime,
) -> None:
    """Store the group's fingerprint after its successful build."""
    connection.execute(STATE_DDL)
    fingerprint, tables = _fingerprint(connection, group.sources, code, variables)
    connection.execute(
        "insert or replace into audit.build_fingerprints values (?, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            group.name,
            fingerprint,
            as_of.strftime("%Y-%m-%d %H:%M:%S"),
            json.dumps(tables, sort_keys=True),
            json.dumps(group.models),
            json.dumps(group.relations),
        ],
    )
