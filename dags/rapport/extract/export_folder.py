"""Reading an export folder: ``DIR/<table>.parquet``, ``DIR/<table>.csv`` or a folder ``DIR/<table>/``.

A table folder (Synapse Link style) holds Parquet or CSV files, possibly in partition sub-folders; files
and folders whose name starts with ``_`` or ``.`` are skipped. CSV files are read as text (all VARCHAR) so
each value lands exactly as written; Parquet keeps its types. Whether Synapse Link CSV files carry a header
row is not documented, so both are accepted: a first line that names contract columns is a header;
otherwise the column order comes from the CDM ``model.json`` beside the files.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.contract import Table
from rapport.duckdb_session import sql_ident, sql_list, sql_string
from rapport.errors import ExportReadError, MissingTableError, TransientError, is_transient
from rapport.extract.columns import ColumnMapping, known_column_names, map_columns

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
FILE_COLUMN = "_rapport_file"  # the source file of each row, added while reading
MAX_CSV_LINE_BYTES = 64 * 1024 * 1024  # e-mail bodies can be long

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableFiles:
    """The files holding one table in an export folder."""

    table: str
    format: str  # parquet | csv
    paths: tuple[Path, ...]

    @property
    def display(self) -> str:
        if len(self.paths) == 1:
            return str(self.paths[0])
        return f"{self.paths[0].parent} ({len(self.paths)} {self.format} files)"


@dataclass(frozen=True)
class CsvLayout:
    """How the CSV files of one table are laid out."""

    header: bool
    names: tuple[str, ...] = ()  # column order from model.json when there is no header
    model_json: Path | None = None
    # header mode: groups of files sharing one header (schema drift adds columns to later files)
    groups: tuple[tuple[tuple[str, ...], tuple[Path, ...]], ...] = ()


def _suffix_format(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in (*PARQUET_SUFFIXES, *CSV_SUFFIXES):
        if lower.endswith(suffix):
            return lower[: -len(suffix)]
    return lower


def locate_table_files(export_dir: Path, table: str) -> TableFiles | None:
    """The files of ``table`` in ``export_dir`` (names match case-insensitively), or None when absent."""
    candidates = [
        entry
        for entry in sorted(export_dir.iterdir())
        if not entry.name.startswith((".", "_"))
        and (
            (entry.is_file() and _suffix_format(entry.name) and _stem(entry.name) == table)
            or (entry.is_dir() and entry.name.lower() == table)
        )
    ]
    if not candidates:
        _refuse_misnamed_table(export_dir, table)
        return None
    if len(candidates) > 1:
        names = ", ".join(entry.name for entry in candidates)
        raise ExportReadError(
            f"table {table} appears more than once in {export_dir} ({names}): keep one file or one folder per table"
        )
    (entry,) = candidates
    if entry.is_file():
        return TableFiles(table=table, format=_suffix_format(entry.name) or "", paths=(entry,))
    if (entry / "_delta_log").is_dir():
        raise ExportReadError(
            f"{entry} is a Delta Lake table (it has _delta_log/): Rapport reads plain Parquet or CSV files and does "
            "not interpret Delta logs (the folder may hold removed file versions); export a Parquet snapshot instead"
        )
    files = sorted(
        path
        for path in entry.rglob("*")
        if path.is_file()
        and _suffix_format(path.name)
        and not any(part.startswith((".", "_")) for part in path.relative_to(entry).parts)
    )
    formats = {_suffix_format(path.name) for path in files}
    if not files:
        raise ExportReadError(
            f"folder {entry} holds no .parquet or .csv files for table {table}: put the table's files in it or remove it"
        )
    if len(formats) > 1:
        raise ExportReadError(f"folder {entry} mixes Parquet and CSV files: keep one format per table")
    return TableFiles(table=table, format=formats.pop() or "", paths=tuple(files))


OTHER_FORMATS = {  # suffix -> what to do instead
    ".xlsx": "save it as CSV UTF-8 (comma delimited)",
    ".xls": "save it as CSV UTF-8 (comma delimited)",
    ".json": "export it as CSV or Parquet",
    ".tsv": "export it comma-separated as .csv",
    ".txt": "export it comma-separated as .csv",
    ".zip": "unzip it into the export folder",
    ".csv.zip": "unzip it into the export folder",
}


def _refuse_misnamed_table(export_dir: Path, table: str) -> None:
    """A table that is there but cannot be read as given is an error naming it, not "no such table".

    ``account.csv/`` (a folder named like a file), ``account.xlsx``, ``account.zip``, ``Account .csv``.
    """
    for entry in sorted(export_dir.iterdir()):
        name = entry.name.lower()
        if name.startswith((".", "_")):
            continue
        if entry.is_dir() and _suffix_format(name) and _stem(name) == table:
            raise ExportReadError(
                f"{entry} is a folder, not a file: a table is one file named {table}.csv (or .parquet) or a folder "
                f"named {table} holding its files; rename the folder to {table} or put the file there instead"
            )
        for suffix, fix in OTHER_FORMATS.items():
            if name == f"{table}{suffix}":
                raise ExportReadError(
                    f"{entry} is not a format Rapport reads for table {table} (.csv, .csv.gz, .parquet or a "
                    f"folder of them): {fix}"
                )
        if (entry.is_file() and _suffix_format(name) and _stem(name).strip() == table) or (
            entry.is_dir() and name.strip() == table
        ):
            raise ExportReadError(
                f"{entry.name!r} in {export_dir} has blanks around the table name {table}: rename it to "
                f"{table}{'' if entry.is_dir() else name[len(_stem(name)) :]}"
            )


SEPARATORS = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _refuse_other_separator(first: list[str], files: TableFiles, table: Table) -> None:
    """A first line that is one field holding contract names split by ``;``, tab or ``|`` (Excel in many
    European locales writes ``;``): a clear error instead of "not the contract's names"."""
    if len(first) != 1:
        return
    known = known_column_names(table)
    for separator, name in SEPARATORS.items():
        fields = [field.strip().strip('"').lower() for field in first[0].split(separator)]
        if len(fields) > 1 and (
            table.primary_key in fields or sum(f in known for f in fields) * 2 >= len(fields)
        ):
            raise ExportReadError(
                f"{files.paths[0]} separates its columns with a {name} ({separator!r}), not a comma: Rapport reads "
                'comma-separated CSV (RFC 4180). Export again as comma-separated (Excel: "CSV UTF-8 (Comma '
                'delimited)"; Power Automate / Data Export: delimiter ,)'
            )


def line_ends(path: Path, limit: int = 256 << 20) -> tuple[int | None, int | None]:
    """(first line ending in CRLF, first line ending in a bare LF), outside quoted values; None when absent.

    Reads at most ``limit`` bytes (called only after a CSV failed to read, to explain why)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:  # type: ignore[operator]
        data = handle.read(limit)
    crlf = lf = None
    quoted = False
    for number, segment in enumerate(data.split(b"\n")[:-1], start=1):
        quoted ^= segment.count(b'"') % 2 == 1  # a doubled quote inside a value toggles twice
        if quoted:
            continue  # a line break inside a quoted value
        if segment.endswith(b"\r"):
            crlf = crlf or number
        else:
            lf = lf or number
        if crlf and lf:
            break
    return crlf, lf


def first_csv_record(path: Path) -> list[str]:
    """The first record of a CSV file (BOM removed), or [] for an empty file."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:  # type: ignore[operator]
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ExportReadError(f"cannot read {path}: {error}; check that it is a UTF-8 CSV file") from error


def csv_layout(files: TableFiles, table: Table, export_dir: Path) -> CsvLayout:
    """Decide whether the CSV files have a header row; without one, take the column order from model.json.

    A first line is a header when it names the primary key or when at least half of its fields are known
    column names of the table (contract names, aliases, Synapse system columns).
    """
    records = (first_csv_record(path) for path in files.paths)
    first = [field.strip().lower() for field in next((record for record in records if record), [])]
    if not first:  # every file is empty: no rows, whatever the layout
        return CsvLayout(header=True)
    known = known_column_names(table)
    if table.primary_key in first or sum(field in known for field in first) * 2 >= len(first):
        return CsvLayout(header=True, groups=_header_groups(files))
    model = find_model_json(files, export_dir)
    _refuse_other_separator(first, files, table)
    if model is None and looks_like_header(first):
        shown = ", ".join(first[:8]) + (", ..." if len(first) > 8 else "")
        raise ExportReadError(
            f"{files.paths[0]} has a header row, but its column names ({shown}) are not the contract's names "
            f"for {table.name} (e.g. {table.primary_key}, {', '.join(table.column_names[1:4])}): rename the "
            "columns to Dataverse logical names (docs/contract.md), or describe the file in a mapping and use "
            "--source mapped:MAPPING.toml (docs/bring_your_own_crm.md)"
        )
    if model is None:
        raise ExportReadError(
            f"{files.paths[0]} has no header row (its first line does not name the columns of {table.name}, "
            f"e.g. {table.primary_key}) and there is no CDM model.json next to it or in {export_dir} giving the "
            "column order: export the CSV with a header row, or copy the export's model.json into the folder"
        )
    return CsvLayout(header=False, names=model_json_columns(model, table.name), model_json=model)


def looks_like_header(fields: list[str]) -> bool:
    """True when a first CSV line reads as column names: all filled, distinct, none a number, date or GUID."""
    value = re.compile(
        r"^[-+]?[0-9.,:/ TZ-]+$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )
    return (
        bool(fields)
        and all(fields)
        and len(set(fields)) == len(fields)
        and not any(value.match(field) for field in fields)
    )


def _header_groups(files: TableFiles) -> tuple[tuple[tuple[str, ...], tuple[Path, ...]], ...]:
    """Files grouped by their header row (empty files, which hold no rows, are left out)."""
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in files.paths:
        header = tuple(field.strip() for field in first_csv_record(path))
        if not header:
            continue
        lowered = [name.lower() for name in header]
        duplicated = sorted({name for name in lowered if lowered.count(name) > 1})
        if duplicated:
            raise ExportReadError(
                f"{path}: the header names column(s) {', '.join(duplicated)} more than once (names match "
                "case-insensitively); give every column one name"
            )
        groups.setdefault(header, []).append(path)
    return tuple((header, tuple(paths)) for header, paths in groups.items())


def find_model_json(files: TableFiles, export_dir: Path) -> Path | None:
    """The nearest ``model.json``: beside the table's files, then in its table folder, then the export folder."""
    folders = [files.paths[0].parent, *files.paths[0].parent.parents]
    for folder in folders:
        candidate = folder / "model.json"
        if candidate.is_file():
            return candidate
        if folder == export_dir:
            break
    return None


def model_json_columns(path: Path, table: str) -> tuple[str, ...]:
    """Column names of ``table`` from a CDM model.json (``entities[].attributes[].name``, in order)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise ExportReadError(f"cannot read the CDM model {path}: {error}; it must be a JSON file") from error
    for entity in document.get("entities", []):
        if str(entity.get("name", "")).lower() == table:
            names = tuple(
                str(attribute["name"]) for attribute in entity.get("attributes", []) if "name" in attribute
            )
            if not names:
                break
            return names
    raise ExportReadError(
        f"the CDM model {path} describes no entity {table!r} with attributes, so the header-less CSV files of "
        f"{table} cannot be read: export them with a header row or use the model.json of the same export"
    )


def relation_sql(files: TableFiles, layout: CsvLayout | None) -> str | None:
    """A DuckDB table expression reading the files, with the column ``_rapport_file`` (source file).

    CSV files are read with an explicit dialect and column list (no sniffing), so a broken quote is
    reported at the line where it opens. None when every CSV file is empty.
    """
    if files.format == "parquet":
        paths = sql_list(tuple(str(path) for path in files.paths))
        return (
            f"read_parquet({paths}, union_by_name = true, hive_partitioning = false, "
            f"filename = {sql_string(FILE_COLUMN)})"
        )
    assert layout is not None
    options = [
        "auto_detect = false",
        "all_varchar = true",
        "delim = ','",
        "quote = '\"'",
        "escape = '\"'",
        "allow_quoted_nulls = false",
        "strict_mode = true",
        "hive_partitioning = false",
        f"max_line_size = {MAX_CSV_LINE_BYTES}",
        f"filename = {sql_string(FILE_COLUMN)}",
    ]
    if not layout.header:
        # Synapse appends new columns at the end: older rows have fewer fields (null_padding). DuckDB's
        # parallel reader cannot pad rows when values contain quoted line breaks, so read serially.
        paths = sql_list(tuple(str(path) for path in files.paths))
        options += ["header = false", f"columns = {_varchar_columns(layout.names)}", "null_padding = true"]
        return f"read_csv({paths}, {', '.join([*options, 'parallel = false'])})"
    if not layout.groups:
        return None
    reads = [
        f"SELECT * FROM read_csv({sql_list(tuple(str(path) for path in paths))}, "
        f"{', '.join([*options, 'header = true', f'columns = {_varchar_columns(header)}'])})"
        for header, paths in layout.groups
    ]
    return (
        reads[0].removeprefix("SELECT * FROM ")
        if len(reads) == 1
        else "(" + " UNION ALL BY NAME ".join(reads) + ")"
    )


def _varchar_columns(names: tuple[str, ...]) -> str:
    return "{" + ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in names) + "}"


def describe_error(error: Exception, files: TableFiles) -> ExportReadError | TransientError:
    """Turn a DuckDB reading error into a message naming the file, the line and the fix.

    A full disk or a busy lock is not bad input: it becomes a :class:`TransientError`, which the DAG retries.
    """
    text = str(error)
    if is_transient(error):
        return TransientError(
            f"landing {files.display} failed for a reason of the machine, not of the file: "
            f"{text.strip().splitlines()[0]}; free disk space under RAPPORT_HOME (or wait for the lock) and retry"
        )
    line = _after(text, "CSV Error on Line:")
    file_name = _after(text, "file =") or files.display
    if files.format == "csv":
        for path in files.paths if not _after(text, "file =") else (Path(file_name),):
            crlf, lf = line_ends(path) if path.is_file() else (None, None)
            if crlf and lf:
                return ExportReadError(
                    f"{path} mixes Windows (CRLF) and Unix (LF) line ends (line {crlf} ends with CRLF, line {lf} "
                    "with LF), which is not a well-formed CSV: convert it to one kind (e.g. dos2unix or unix2dos) "
                    "or export it again"
                )
    reason = _csv_reason(text)
    original = _original_line(text)
    shown = f" (the line reads: {original})" if original else ""
    if "unterminated quote" in text:
        return ExportReadError(
            f"{file_name}, line {line}: a value opens a double quote that is never closed{shown}; fix the "
            'quoting there (a quote inside a quoted value is written twice: "") and export again'
        )
    if line:
        return ExportReadError(
            f"{file_name}, line {line}: {reason}{shown}; fix the file there and export again"
        )
    return ExportReadError(f"cannot read {files.display}: {text.strip().splitlines()[0]}")


def _csv_reason(text: str) -> str:
    """DuckDB's explanation in a CSV error: the paragraph after the header and the original line."""
    body = text.split("Possible fixes:")[0].split("  file =")[0]
    paragraphs = [part.strip() for part in body.split("\n\n") if part.strip()]
    kept = []
    for paragraph in paragraphs:
        first = paragraph.splitlines()[0]
        if "CSV Error on Line" in first:
            rest = paragraph.splitlines()[1:]
            if rest and not rest[0].startswith("Original Line"):
                kept.append(" ".join(item.strip() for item in rest))
            continue
        kept.append(" ".join(item.strip() for item in paragraph.splitlines()))
    return " ".join(kept) or "the CSV file is malformed"


def _after(text: str, marker: str) -> str:
    for line in text.splitlines():
        if marker in line:
            return line.split(marker, 1)[1].strip()
    return ""


def _original_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Original Line:"):
            value = line.split(":", 1)[1].strip()
            return value if len(value) <= 200 else value[:200] + "..."
    return ""


def quoted_columns(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(sql_ident(name) for name in names)


@dataclass(frozen=True)
class FolderLanding:
    """What :func:`land_export_table` wrote."""

    files: TableFiles | None  # None: the table is absent and landed empty
    mapping: ColumnMapping | None
    layout: CsvLayout | None
    source_rows: int
    superseded_rows: int
    deleted_rows: int


def land_export_table(
    table: Table,
    export_dir: Path,
    scratch: duckdb.DuckDBPyConnection,
    out_file: Path,
    *,
    allow_missing: bool,
) -> FolderLanding:
    """Write ``table`` from the export folder to ``out_file`` (Parquet) with contract column names.

    Synapse Link append-only exports (``versionnumber`` / ``isDeleted`` / ``SinkModifiedOn`` columns) keep
    the latest version of each key and drop keys whose latest version is deleted; both are counted.
    """
    import duckdb

    files = locate_table_files(export_dir, table.name)
    if files is None:
        if not allow_missing:
            raise MissingTableError(
                f"the export {export_dir} has no {table.name} table, which the contract requires: expected "
                f"{export_dir / (table.name + '.parquet')}, {export_dir / (table.name + '.csv')} or a folder "
                f"{export_dir / table.name}/ of such files (see docs/contract.md)"
            )
        write_empty_table(table, scratch, out_file)
        return FolderLanding(None, None, None, 0, 0, 0)
    layout = csv_layout(files, table, export_dir) if files.format == "csv" else None
    relation = relation_sql(files, layout)
    if relation is None:  # CSV files without a single line
        write_empty_table(table, scratch, out_file)
        return FolderLanding(files, map_columns(table, table.column_names), layout, 0, 0, 0)
    try:
        described = scratch.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as error:
        raise describe_error(error, files) from error
    columns = [row[0] for row in described if row[0] != FILE_COLUMN]
    mapping = map_columns(table, columns)
    if not mapping.selected:
        raise ExportReadError(
            f"none of the columns of {files.display} ({', '.join(columns[:8])}{', ...' if len(columns) > 8 else ''}) "
            f"is a column of the contract table {table.name}: check that this is the right file and that its "
            "column names are Dataverse logical names (docs/contract.md)"
        )
    extras = extra_columns(table, mapping)
    if extras:
        log.info(
            "%s: %d column(s) not in the contract kept in raw as extra columns (a scoring model uses them when "
            "[scoring.%s.fields] in rapport.toml declares them): %s",
            files.display, len(extras), table.name, ", ".join(name for _, name in extras),
        )  # fmt: skip
    select_list = ", ".join(
        f"{sql_ident(src)} AS {sql_ident(name)}" for src, name in (*mapping.selected, *extras)
    )
    key = mapping.source_column(table.primary_key)
    superseded = deleted = 0
    try:
        if mapping.is_synapse_append_only and key is not None:
            ranked = _synapse_ranked_sql(relation, mapping, key)
            total, superseded, deleted = scratch.execute(
                "SELECT count(*), count(*) FILTER (WHERE _rapport_rank > 1), "
                f"count(*) FILTER (WHERE _rapport_rank = 1 AND _rapport_deleted) FROM ({ranked})"
            ).fetchall()[0]
            query = f"SELECT {select_list} FROM ({ranked}) WHERE _rapport_rank = 1 AND NOT _rapport_deleted"
            log.info(
                "%s: Synapse append-only export: %d rows read, %d older versions and %d deleted keys dropped",
                files.display, total, superseded, deleted,
            )  # fmt: skip
        else:
            query = f"SELECT {select_list} FROM {relation}"
            total = None
        scratch.execute(f"COPY ({query}) TO {sql_string(str(out_file))} (FORMAT parquet, COMPRESSION zstd)")
    except duckdb.Error as error:
        raise describe_error(error, files) from error
    if total is None:
        total = scratch.execute(f"SELECT count(*) FROM read_parquet({sql_string(str(out_file))})").fetchall()[
            0
        ][0]
    return FolderLanding(files, mapping, layout, int(total), int(superseded), int(deleted))


def extra_columns(table: Table, mapping: ColumnMapping) -> tuple[tuple[str, str], ...]:
    """Source columns outside the contract, kept in raw under a plain lower-case name (``Lead Origin`` ->
    ``lead_origin``). Synapse system columns, names starting with ``_`` and names that would clash with a
    contract column or another kept column are left out."""
    taken = {name.lower() for name in table.column_names}
    kept: list[tuple[str, str]] = []
    for source in mapping.ignored:
        name = re.sub(r"[^a-z0-9_]+", "_", source.strip().lower()).strip("_")
        if not name or name[0].isdigit() or source.startswith("_") or name in taken:
            continue
        taken.add(name)
        kept.append((source, name))
    return tuple(kept)


def _synapse_ranked_sql(relation: str, mapping: ColumnMapping, key: str) -> str:
    version = mapping.system_column("versionnumber")
    sink = mapping.system_column("sinkmodifiedon")
    flag = mapping.system_column("isdeleted")
    version_sql = f"try_cast({sql_ident(version)} AS BIGINT)" if version else "NULL"
    sink_text = f"CAST({sql_ident(sink)} AS VARCHAR)" if sink else None
    sink_sql = (
        f"coalesce(try_strptime({sink_text}, '%m/%d/%Y %I:%M:%S %p'), try_cast({sink_text} AS TIMESTAMP))"
        if sink_text
        else "NULL"
    )
    deleted_sql = (
        f"coalesce(lower(trim(CAST({sql_ident(flag)} AS VARCHAR))) IN ('true', '1', 't'), FALSE)"
        if flag
        else "FALSE"
    )
    return (
        f"SELECT *, CASE WHEN {sql_ident(key)} IS NULL THEN 1 ELSE row_number() OVER ("
        f"PARTITION BY {sql_ident(key)} ORDER BY {version_sql} DESC NULLS LAST, {sink_sql} DESC NULLS LAST, "
        f"{sql_ident(FILE_COLUMN)} DESC) END AS _rapport_rank, {deleted_sql} AS _rapport_deleted FROM {relation}"
    )


def write_empty_table(table: Table, scratch: duckdb.DuckDBPyConnection, out_file: Path) -> None:
    """An empty Parquet file with the contract's columns and types (an absent optional table)."""
    columns = ", ".join(
        f"CAST(NULL AS {column.duckdb_type}) AS {sql_ident(column.name)}" for column in table.columns
    )
    scratch.execute(f"COPY (SELECT {columns} WHERE FALSE) TO {sql_string(str(out_file))} (FORMAT parquet)")
