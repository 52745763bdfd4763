"""Where the CRM data comes from: the source spec and its resolution.

A source spec is one of ``sample`` | ``files:DIR`` | ``postgres:URI`` | ``mail:PATH`` |
``mapped:MAPPING.toml[@DATA_DIR]`` (flat exports of any CRM, docs/bring_your_own_crm.md). The spec in force is
the first of: the explicit argument (the DAG run's conf ``source``, ``--source``), the ``RAPPORT_SOURCE``
environment variable, an Airflow connection ``rapport_source`` (type postgres, or generic as Airflow stores
``--conn-type postgres`` without the postgres provider: its database; type fs/file: its path), and finally
``sample``. Every entry point (``rapport run``, ``rapport ingest``, the DAG) resolves through
:func:`resolve_source`.

A :class:`Source` never shows a password: its ``description`` is what logs and ``audit.extract_manifest``
record, and :meth:`Source.to_dict` (what travels through XCom) carries the URI without its password plus
where to fetch it again (``conn_id``, or ``secret_from="env"`` for ``RAPPORT_SOURCE``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from rapport.errors import SourceSpecError
from rapport.extract.mapped import parse_mapped_spec
from rapport.redaction import register_secret, uri_password
from rapport.settings import Settings

log = logging.getLogger(__name__)

AIRFLOW_CONNECTION_ID = "rapport_source"
ENVIRONMENT_VARIABLE = "RAPPORT_SOURCE"
POSTGRES_CONNECTION_TYPES = ("postgres", "postgresql", "generic")
FOLDER_CONNECTION_TYPES = ("fs", "file", "filesystem")
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
    secret_from: str | None = None  # "env": the password is in RAPPORT_SOURCE, fetched again when connecting

    @property
    def is_sample(self) -> bool:
        return self.kind == "sample"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (for XCom), without any password; :meth:`from_dict` reverses it.

        A URI's password is replaced by where to find it again: the Airflow connection (``conn_id``) or
        ``RAPPORT_SOURCE`` (``secret_from="env"``). A password from anywhere else (a DAG run's ``source``
        param) is refused earlier, by :func:`refuse_password_in_conf`.
        """
        data = asdict(self)
        if self.kind == "postgres":
            data["location"] = mask_uri(self.location)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(**data)

    def with_export_dir(self, export_dir: Path) -> Source:
        return replace(self, export_dir=str(export_dir))


def resolve_source(spec: str | None = None, *, settings: Settings | None = None) -> Source:
    """Turn a spec into a :class:`Source`: ``spec`` > ``RAPPORT_SOURCE`` > Airflow connection > ``sample``."""
    settings = settings or Settings.from_env()
    if spec is not None and spec.strip():
        register_secret(_spec_uri(spec))
        return parse_source_spec(spec, settings=settings)
    env_spec = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if env_spec:
        register_secret(_spec_uri(env_spec))
        source = parse_source_spec(env_spec, settings=settings)
        return replace(source, secret_from="env") if uri_password(source.location) else source
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


def refuse_password_in_conf(spec: str | None) -> None:
    """A DAG run's ``source`` param is stored in clear in Airflow's database: it must not hold a password."""
    if spec and uri_password(_spec_uri(spec) or ""):
        raise SourceSpecError(
            f"the run's source {_mask_spec(spec.strip())!r} holds a password, which Airflow would store in clear "
            f"with the run: define the Airflow connection {AIRFLOW_CONNECTION_ID!r} (airflow connections add "
            f"{AIRFLOW_CONNECTION_ID} --conn-type postgres --conn-host ... --conn-password ...), or set "
            f"{ENVIRONMENT_VARIABLE}, and leave the param empty"
        )


def _spec_uri(spec: str) -> str | None:
    text = spec.strip()
    if text.startswith("postgres:") and not text.startswith("postgres://"):
        return text.removeprefix("postgres:")
    return text if "://" in text else None


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
        if source.secret_from == "env" and not uri_password(source.location):
            current = resolve_source(None)
            if current.kind != "postgres" or mask_uri(current.location) != mask_uri(source.location):
                raise SourceSpecError(
                    f"{ENVIRONMENT_VARIABLE} changed during the run (it no longer names {source.description}); "
                    "re-run the date with the source you mean"
                )
            return current.location
        return source.location
    connection = _get_airflow_connection(source.conn_id)
    if connection is None:
        raise SourceSpecError(
            f"the Airflow connection {source.conn_id!r} that named the source is gone; define it again "
            "(airflow connections add) or set RAPPORT_SOURCE"
        )
    uri = _airflow_postgres_uri(connection)
    register_secret(uri)
    return uri


def _mask_spec(spec: str) -> str:
    return mask_uri(spec.partition(":")[2]) if spec.startswith("postgres:") else spec


def _source_from_airflow_connection(settings: Settings) -> Source | None:
    connection = _get_airflow_connection(AIRFLOW_CONNECTION_ID)
    if connection is None:
        return None
    conn_type = (connection.conn_type or "").lower()
    extra = connection.extra_dejson or {}
    if conn_type == "generic" and not connection.host and extra.get("path"):
        conn_type = "fs"  # a generic connection that names a folder
    if conn_type in POSTGRES_CONNECTION_TYPES:
        if not connection.host and not connection.schema:
            raise SourceSpecError(
                f"Airflow connection {AIRFLOW_CONNECTION_ID!r} (type {conn_type}) names no host and no database: "
                "set --conn-host and --conn-schema (the database), or give a folder as its extra "
                '{"path": "/folder/of/the/export"}'
            )
        register_secret(connection.password)
        uri = _airflow_postgres_uri(connection, with_password=False)
        schema = extra.get("schema")
        return postgres_source(uri, conn_id=AIRFLOW_CONNECTION_ID, schema=schema)
    if conn_type in FOLDER_CONNECTION_TYPES:
        path = extra.get("path") or connection.host
        if not path:
            raise SourceSpecError(
                f"Airflow connection {AIRFLOW_CONNECTION_ID!r} (type {conn_type}) has no path: set its extra "
                '{"path": "/folder/of/the/export"}'
            )
        return parse_source_spec(f"files:{path}", settings=settings)
    raise SourceSpecError(
        f"Airflow connection {AIRFLOW_CONNECTION_ID!r} has type {conn_type!r}; Rapport reads type postgres "
        "or generic (a database with the contract tables: host, port, login, password, and the database as "
        'schema) or fs (a folder holding an export, as extra {"path": ...})'
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
        pass
    # Outside a task (rapport run/ingest before the DAG starts) the SDK reads only environment variables
    # and secrets backends; the metadata database is read through the core model.
    try:
        from airflow.models.connection import Connection as StoredConnection

        return StoredConnection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        log.debug("no Airflow connection %r", conn_id)
        return None
    except Exception as error:  # no metadata database yet (a fresh home): nothing is configured there
        log.debug("Airflow connections unreadable (%s): no connection %r", type(error).__name__, conn_id)
        return None
