"""Skip the relationship models when nothing they read has changed since their last successful build.

A group of dbt models (the relationship marts and everything they read) is fingerprinted from:
  - every source table it reads, by row count and a hash of every row's content (so a changed value,
    an added or a deleted row all change it);
  - the SQL of its models and the project's macros (dbt's own checksums) and the dbt version;
  - the vars of the invocation: every tunable of rapport.toml handed to dbt and the run's as-of moment
    (so a changed ``[relationship]`` setting, or another day, rebuilds).
The fingerprint is stored in ``audit.build_fingerprints`` after a successful build and deleted before any
build of the group starts (a failed build never leaves a stale "unchanged"). When the stored fingerprint
equals today's and the group's tables exist, the group is excluded from the build.

Only the row hash is DuckDB-specific (``hash(row)``, :func:`source_fingerprint`); the rest reads dbt's
manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

RELATIONSHIPS = "relationships"
# the relationship marts and every model they read (the same selection as bench/bench_relationships.py)
RELATIONSHIP_MARTS_PATH = "models/marts/relationships/"

STATE_DDL = """
    CREATE SCHEMA IF NOT EXISTS audit;
    CREATE TABLE IF NOT EXISTS audit.build_fingerprints (
        group_name VARCHAR PRIMARY KEY, -- e.g. relationships
        fingerprint VARCHAR NOT NULL,   -- sha256 of sources, code and vars (hex)
        as_of VARCHAR NOT NULL,         -- the run's as-of moment the group was built for
        sources JSON NOT NULL,          -- per source table: rows and content hash
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
    code_checksum: str  # sha256 over the models' and macros' checksums and the dbt version


@dataclass(frozen=True)
class GroupDecision:
    """Whether the group must be built, and why."""

    group: ModelGroup
    fingerprint: str
    sources: dict[str, dict[str, Any]]
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
    digest = hashlib.sha256()
    import dbt.version

    digest.update(dbt.version.__version__.encode())
    for unique_id in sorted(models):
        digest.update(f"{unique_id}={manifest.nodes[unique_id].checksum.checksum}".encode())
    project = manifest.nodes[next(iter(sorted(models)))].package_name
    for unique_id, macro in sorted(manifest.macros.items()):
        if macro.package_name == project:
            digest.update(f"{unique_id}={hashlib.sha256(macro.macro_sql.encode()).hexdigest()}".encode())
    return ModelGroup(
        name=name,
        models=tuple(sorted(manifest.nodes[u].name for u in models)),
        relations=tuple(
            sorted(
                f"{manifest.nodes[u].schema}.{manifest.nodes[u].alias}"
                for u in models
                if manifest.nodes[u].config.materialized in {"table", "incremental"}
            )
        ),
        sources=tuple(
            sorted(f"{manifest.sources[u].schema}.{manifest.sources[u].identifier}" for u in sources)
        ),
        code_checksum=digest.hexdigest(),
    )


def source_fingerprint(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Any]:
    """Row count and the sum of every row's hash (DuckDB's ``hash`` of the whole row; 0.2 s per million).

    A sum, not an xor, so two identical rows do not cancel out. A missing table is recorded as missing.
    """
    schema, table = relation.split(".", 1)
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not exists or not exists[0]:
        return {"missing": True}
    rows, content = connection.execute(
        f'select count(*), coalesce(sum(hash(source_row)), 0)::varchar from "{schema}"."{table}" as source_row'
    ).fetchone() or (0, "0")
    return {"rows": int(rows), "content": str(content)}


def decide(
    connection: duckdb.DuckDBPyConnection, group: ModelGroup, variables: dict[str, Any], label: str
) -> GroupDecision:
    """Compare today's fingerprint of ``group`` with the one stored by its last successful build."""
    connection.execute(STATE_DDL)
    sources = {relation: source_fingerprint(connection, relation) for relation in group.sources}
    fingerprint = hashlib.sha256(
        json.dumps(
            {"sources": sources, "code": group.code_checksum, "vars": variables}, sort_keys=True, default=str
        ).encode()
    ).hexdigest()
    stored = connection.execute(
        "select fingerprint, as_of, built_at from audit.build_fingerprints where group_name = ?", [group.name]
    ).fetchone()
    if stored is None:
        return GroupDecision(
            group, fingerprint, sources, False, f"{label}: no earlier build recorded, building"
        )
    if stored[0] != fingerprint:
        return GroupDecision(
            group,
            fingerprint,
            sources,
            False,
            f"{label}: inputs changed since {stored[2]:%Y-%m-%d %H:%M:%S}, building",
        )
    missing = [relation for relation in group.relations if not _exists(connection, relation)]
    if missing:
        return GroupDecision(
            group, fingerprint, sources, False, f"{label}: {', '.join(missing)} missing, building"
        )
    return GroupDecision(
        group, fingerprint, sources, True, f"{label} unchanged since {stored[2]:%Y-%m-%d %H:%M:%S}: skipped"
    )


def _exists(connection: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, table = relation.split(".", 1)
    row = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def forget(connection: duckdb.DuckDBPyConnection, group: ModelGroup) -> None:
    """Delete the stored fingerprint before the group is (re)built: a failed build is never 'unchanged'."""
    connection.execute(STATE_DDL)
    connection.execute("delete from audit.build_fingerprints where group_name = ?", [group.name])


def remember(connection: duckdb.DuckDBPyConnection, decision: GroupDecision, as_of: datetime) -> None:
    """Store the fingerprint after a successful build of the group."""
    connection.execute(STATE_DDL)
    connection.execute(
        "insert or replace into audit.build_fingerprints values (?, ?, ?, ?, now()::timestamp)",
        [
            decision.group.name,
            decision.fingerprint,
            as_of.strftime("%Y-%m-%d %H:%M:%S"),
            json.dumps(decision.sources, sort_keys=True),
        ],
    )
