"""Where the CRM data comes from: the source spec and its resolution.

A source spec is one of ``sample`` | ``files:DIR`` | ``postgres:URI`` | ``mail:PATH`` |
``mapped:MAPPING.toml[@DATA_DIR]`` (flat exports of any CRM, docs/bring_your_own_crm.md). The spec in force is
the first of: the explicit argument (the DAG run's conf ``source``), the ``RAPPORT_SOURCE`` environment
variable, an Airflow connection ``rapport_source`` (type postgres: its database; type fs/file: its path),
and finally ``sample``. A :class:`Source` never shows a password: its ``description`` is what logs and
``audit.extract_manifest`` record.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from rapport.errors import SourceSpecError
from rapport.settings import Settings

log = logging.getLogger(__name__)

AIRFLOW_CONNECTION_ID = "rapport_source"
KINDS = ("sample", "files", "postgres", "mail", "mapped")
SPEC_HELP = (
    "use sample, files:DIR, postgres:URI (postgresql://user@host:port/db), mail:PATH or "
    "mapped:MAPPING.toml[@DATA_DIR]"
)


@dataclass(frozen=True)
class Source:
    """A resolved source.

    ``location`` is a folder or archive path, or for PostgreSQL the connection URI. A URI with a password is
    kept out of ``repr``; when the source came from the Airflow connection the password is not stored at all
    (``conn_id`` is set and the connection is looked up again when connecting), so a ``Source`` can travel
    through XCom. ``export_dir`` is set by :func:`rapport.extract.prepare_source` for sample and mail sources:
    the export folder that extraction reads.
    """

    kind: str
    location: str = field(repr=False)
    description: str
    schema: str | None = None
    conn_id: str | None = None
    export_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (for XCom); :meth:`from_dict` reverses it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(**data)

    def with_export_dir(self, export_dir: Path) -> Source:
        return replace(self, export_dir=str(export_dir))


def resolve_source(spec: str | None = None, *, settings: Settings | None = None) -> Source:
    """Turn a spec into a :class:`Source`: ``spec`` > ``RAPPORT_SOURCE`` > Airflow connection > ``sample``."""
    settings = settings or Settings.from_env()
    if spec is not None and spec.strip():
        return parse_source_spec(spec, settings=settings)
    env_spec = os.environ.get("RAPPORT_SOURCE", "").strip()
    if env_spec:
        return parse_source_spec(env_spec, settings=settings)
    from_connection = _source_from_airflow_connection(settings)
    if from_connection is not None:
        return from_connection
    return parse_source_spec("sample", settings=settings)


def parse_source_spec(spec: str, *, settings: Settings | None = None) -> Source:
    """Parse one spec string (no fallbacks). Raises :class:`SourceSpecError` when it is not understood."""
    settings = settings or Settings.from_env()
    text = spec.strip()
    if text == "sample":
        return Source(kind="sample", location=str(settings.sample_dir), description="sample")
    if text.startswith(("postgresql://", "postgres://")):
        text = f"postgres:{text}"
    kind, sep, rest = text.partition(":")
    if not sep or kind not in KINDS or kind == "sample":
        raise SourceSpecError(f"source spec {_mask_spec(text)!r} is not understood: {SPEC_HELP}")
    rest = rest.strip()
    if not rest:
        raise SourceSpecError(
            f"source spec {text!r} names no {'URI' if kind == 'postgres' else 'path'}: {SPEC_HELP}"
        )
    if kind == "postgres":
        return postgres_source(rest)
    if kind == "mapped":
        from rapport.extract.mapped import parse_mapped_spec

        mapping, data_dir = parse_mapped_spec(rest)
        location = f"{mapping}@{data_dir}" if data_dir else str(mapping)
        return Source(kind=kind, location=location, description=f"mapped:{location}")
    path = Path(rest).expanduser().resolve()
    return Source(kind=kind, location=str(path), description=f"{kind}:{path}")


def postgres_source(uri: str, *, conn_id: str | None = None, schema: str | None = None) -> Source:
    """A PostgreSQL source from a URI; a ``schema`` query parameter names the schema of the tables."""
    parts = urlsplit(uri)
    if parts.scheme not in ("postgres", "postgresql") or (not parts.hostname and not parts.path.strip("/")):
        raise SourceSpecError(
            f"postgres source {mask_uri(uri)!r} is not a PostgreSQL URI: expected "
            "postgresql://user[:password]@host[:port]/database[?schema=crm]"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema_params = [value for key, value in query if key == "schema"]
    query = [(key, value) for key, value in query if key != "schema"]
    clean = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))
    chosen_schema = schema_params[-1] if schema_params else schema
    description = f"postgres:{mask_uri(clean)}"
    if chosen_schema:
        description += f" (schema {chosen_schema})"
    return Source(
        kind="postgres", location=clean, description=description, schema=chosen_schema, conn_id=conn_id
    )


def mask_uri(uri: str) -> str:
    """The URI without its password (``postgresql://user@host:5432/db``)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(
        (parts.scheme, f"{quote(user, safe='')}@{netloc}", parts.path, parts.query, parts.fragment)
    )


def postgres_uri(source: Source) -> str:
    """The URI to connect with, fetching the password from the Airflow connection when there is one."""
    if source.conn_id is None:
        return source.location
    connection = _get_airflow_connection(source.conn_id)
    if connection is None:
        raise SourceSpecError(
            f"the Airflow connection {source.conn_id!r} that named the source is gone; define it again "
            "(airflow connections add) or set RAPPORT_SOURCE"
        )
    return _airflow_postgres_uri(connection)


def _mask_spec(spec: str) -> str:
    return mask_uri(spec.partition(":")[2]) if spec.startswith("postgres:") else spec


def _source_from_airflow_connection(settings: Settings) -> Source | None:
    connection = _get_airflow_connection(AIRFLOW_CONNECTION_ID)
    if connection is None:
        return None
    conn_type = (connection.conn_type or "").lower()
    if conn_type in ("postgres", "postgresql"):
        uri = _airflow_postgres_uri(connection, with_password=False)
        schema = (connection.extra_dejson or {}).get("schema")
        return postgres_source(uri, conn_id=AIRFLOW_CONNECTION_ID, schema=schema)
    if conn_type in ("fs", "file", "filesystem"):
        path = (connection.extra_dejson or {}).get("path") or connection.host
        if not path:
            raise SourceSpecError(
                f"Airflow connection {AIRFLOW_CONNECTION_ID!r} (type {conn_type}) has no path: set its extra "
                '{"path": "/folder/of/the/export"}'
            )
        return parse_source_spec(f"files:{path}", settings=settings)
    raise SourceSpecError(
        f"Airflow connection {AIRFLOW_CONNECTION_ID!r} has type {conn_type!r}; Rapport reads type postgres "
        "(a database with the contract tables) or fs (a folder holding an export)"
    )


def _airflow_postgres_uri(connection: Any, *, with_password: bool = True) -> str:
    user = quote(connection.login or "", safe="")
    password = quote(connection.password or "", safe="") if with_password and connection.password else ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = connection.host or "localhost"
    port = f":{connection.port}" if connection.port else ""
    database = connection.schema or ""  # Airflow's "schema" field is the PostgreSQL database name
    return f"postgresql://{auth}{host}{port}/{database}"


def _get_airflow_connection(conn_id: str) -> Any | None:
    """The Airflow connection ``conn_id`` or None when it is not defined (or Airflow is not installed)."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # pragma: no cover - Airflow is a dependency; kept for library use without it
        return None
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        log.debug("no Airflow connection %r: falling back to the sample source", conn_id)
        return None
