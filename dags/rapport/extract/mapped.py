"""A mapped source: flat CSV/Parquet exports of any CRM, mapped onto the contract by one TOML file.

``--source mapped:MAPPING.toml`` (or ``mapped:MAPPING.toml@DATA_DIR``: the files named in the mapping are
read from DATA_DIR instead of the mapping's folder). :func:`convert_mapped_source` reads the mapping, checks
it against the contract and the files (every problem is reported with the mapping's line and the fix),
and writes an export folder of contract-named CSV tables that the ``files`` reader lands as usual. Columns
listed under ``[tables.<table>.custom]`` are written too: extraction keeps them in ``raw`` for the custom
scoring fields of ``rapport.toml`` (``[scoring.lead.fields]``). The language is documented in
docs/bring_your_own_crm.md; shipped mappings live in ``mappings/``.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
import uuid
from collections.abc import Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapport.config import ExtractConfig
from rapport.contract import Column, Table, load_contract
from rapport.errors import RapportInputError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# uuid5 namespace of ids derived from names (``uuid = true``): the same name gives the same id in every table.
ID_NAMESPACE = uuid.UUID("6f1b7c2e-3d4a-5b6c-8d9e-0a1b2c3d4e5f")
GUID_TEXT = r"\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?"
RULE_KEYS = frozenset(
    {
        "from", "value", "template", "values", "unmapped", "format", "timezone", "sequence", "uuid",
        "case_fold", "missing_values", "offset_days", "only_when", "type", "replace",
    }
)  # fmt: skip
UNMAPPED_POLICIES = ("error", "keep", "null")
CUSTOM_TYPES = ("text", "number")
CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EXAMPLES_SHOWN = 3
MAPPING_SUMMARY_FILE = "_mapping_summary.json"


class MappingError(RapportInputError):
    """The mapping file is wrong, or the files do not fit it: the message names the line and the fix."""


@dataclass(frozen=True)
class ColumnRule:
    """How one output column (a contract column, or a custom column kept in raw) is made from a source row."""

    target: str
    line: int
    sources: tuple[str, ...] = ()  # ``from``: the first non-missing of these columns
    value: str | None = None
    template: str | None = None
    values: tuple[tuple[str, str], ...] = ()  # source value -> output value
    replace: tuple[tuple[str, str], ...] = ()  # corrections of listed values; others pass unchanged
    unmapped: str = "error"
    format: str | None = None
    timezone: str | None = None
    sequence: tuple[tuple[str, Any], ...] = ()  # start, step_minutes
    uuid: bool = False
    case_fold: bool = True
    missing_values: tuple[str, ...] = ()
    offset_days: float = 0.0
    only_when: tuple[tuple[str, tuple[str, ...]], ...] = ()  # output column -> output values
    type: str = "text"  # custom columns: text | number

    @property
    def columns_read(self) -> tuple[str, ...]:
        return (*self.sources, *re.findall(r"\{([^{}]+)\}", self.template or ""))


@dataclass(frozen=True)
class TableMapping:
    table: str
    files: tuple[str, ...]
    line: int
    rules: tuple[ColumnRule, ...]
    custom: tuple[ColumnRule, ...]
    distinct: bool = False  # keep one row per id (a table made of names, e.g. users from the deals' agents)


@dataclass(frozen=True)
class SourceMapping:
    """A parsed, checked mapping file."""

    path: Path
    data_dir: Path
    name: str
    tables: tuple[TableMapping, ...]


@dataclass(frozen=True)
class ConversionSummary:
    """What a conversion wrote and what it left out or kept as unknown (reaches the run summary)."""

    tables: tuple[tuple[str, int], ...]  # table, rows written
    unused_columns: tuple[tuple[str, tuple[str, ...]], ...]  # file, source columns the mapping does not read
    kept_unknown_values: tuple[tuple[str, str, int], ...]  # table.column, value, rows
    nulled_unknown_values: tuple[tuple[str, str, int], ...]

    def warnings(self) -> tuple[str, ...]:
        out = [
            f"{file}: {len(columns)} column(s) not mapped, left out: {', '.join(columns)}"
            for file, columns in self.unused_columns
            if columns
        ]
        out += [
            f"{column}: value {value!r} is not in the mapping's values; kept as its own level ({rows} rows)"
            for column, value, rows in self.kept_unknown_values
        ]
        out += [
            f"{column}: value {value!r} is not in the mapping's values; left empty ({rows} rows)"
            for column, value, rows in self.nulled_unknown_values
        ]
        return tuple(out)


def parse_mapped_spec(rest: str) -> tuple[Path, Path | None]:
    """``MAPPING.toml`` or ``MAPPING.toml@DATA_DIR`` -> (mapping path, data folder or None)."""
    mapping, sep, data = rest.partition("@")
    return Path(mapping).expanduser().resolve(), (Path(data).expanduser().resolve() if sep else None)


# Reading the mapping ------------------------------------------------------------------------------------


def load_mapping(path: Path, data_dir: Path | None = None) -> SourceMapping:
    """Read and check ``path`` against the contract (not yet against the files)."""
    if not path.is_file():
        raise MappingError(f"mapping file {path} does not exist: give mapped:PATH/TO/MAPPING.toml")
    text = path.read_text(encoding="utf-8")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{path}: not valid TOML ({error}); fix the syntax there") from error
    lines = _LineFinder(path, text)
    unknown = set(document) - {"mapping", "tables"}
    if unknown:
        key = sorted(unknown)[0]
        raise MappingError(
            f"{lines.where(key)}: unknown section [{key}]; a mapping has [mapping] and [tables.<contract table>]"
        )
    header = document.get("mapping", {})
    defaults = {
        "missing_values": tuple(str(item) for item in header.get("missing_values", ("",))),
        "case_fold": bool(header.get("case_fold", True)),
    }
    contract = load_contract()
    tables = []
    for table_name, raw in (document.get("tables") or {}).items():
        if table_name not in contract.table_names:
            raise MappingError(
                f"{lines.where(f'tables.{table_name}')}: [tables.{table_name}] is not a contract table"
                f"{_suggest(table_name, contract.table_names)}; tables: {', '.join(contract.table_names)}"
            )
        tables.append(_table_mapping(contract.table(table_name), raw, defaults, lines))
    if not tables:
        raise MappingError(
            f"{path}: the mapping has no [tables.<name>] section; map at least lead or opportunity"
        )
    folder = data_dir if data_dir is not None else path.parent
    return SourceMapping(
        path=path, data_dir=folder, name=str(header.get("name", path.stem)), tables=tuple(tables)
    )


class _LineFinder:
    """Line numbers of sections and keys in the mapping text (tomllib does not keep them)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, dotted: str) -> int:
        parts = dotted.split(".")
        section = ""
        best = 0
        for number, raw in enumerate(self.lines, start=1):
            stripped = raw.split("#", 1)[0].strip()
            if stripped.startswith("["):
                section = stripped.strip("[]").strip()
                if section == dotted:
                    return number
                continue
            key = stripped.split("=", 1)[0].strip().strip('"')
            full = f"{section}.{key}" if section else key
            if full == dotted:
                return number
            if not best and (section == ".".join(parts[:-1]) and key == parts[-1]):
                best = number
            if not best and key and full.startswith(dotted.rsplit(".", 1)[0]) and key == parts[-1]:
                best = number
        return best

    def where(self, dotted: str) -> str:
        number = self.line(dotted)
        return f"{self.path}, line {number}" if number else f"{self.path} ({dotted})"


def _table_mapping(
    table: Table, raw: dict[str, Any], defaults: dict[str, Any], lines: _LineFinder
) -> TableMapping:
    key = f"tables.{table.name}"
    unknown = set(raw) - {"file", "files", "columns", "custom", "distinct"}
    if unknown:
        name = sorted(unknown)[0]
        raise MappingError(
            f"{lines.where(f'{key}.{name}')}: unknown key {name!r} in [{key}]; use file(s), columns, custom, distinct"
        )
    files = raw.get("files", raw.get("file"))
    if isinstance(files, str):
        files = [files]
    if not files:
        raise MappingError(f'{lines.where(key)}: [{key}] names no file: add file = "export.csv"')
    columns = raw.get("columns") or {}
    rules = []
    for name, spec in columns.items():
        if name not in table.column_names:
            raise MappingError(
                f"{lines.where(f'{key}.columns.{name}')}: {name!r} is not a column of the contract table "
                f"{table.name}{_suggest(name, table.column_names)}; map contract columns here and put other "
                f"columns under [{key}.custom]"
            )
        rules.append(_rule(name, spec, table.column(name), defaults, lines, f"{key}.columns.{name}"))
    mapped = {rule.target for rule in rules}
    missing = [column.name for column in table.required_columns if column.name not in mapped]
    if missing:
        raise MappingError(
            f"{lines.where(key)}: [{key}.columns] does not map {', '.join(missing)}, which the contract requires "
            f"for {table.name}: map each from a column, a template, a constant (value = ...) or a derivation"
        )
    custom = []
    for name, spec in (raw.get("custom") or {}).items():
        where = f"{key}.custom.{name}"
        if not CUSTOM_NAME.match(name) or name in table.column_names:
            raise MappingError(
                f"{lines.where(where)}: custom column name {name!r} must be lower case letters, digits and _ "
                f"(starting with a letter) and not a contract column of {table.name}"
            )
        custom.append(_rule(name, spec, None, defaults, lines, where))
    return TableMapping(
        table=table.name,
        files=tuple(str(item) for item in files),
        line=lines.line(key),
        rules=tuple(rules),
        custom=tuple(custom),
        distinct=bool(raw.get("distinct", False)),
    )


def _rule(
    target: str,
    spec: Any,
    column: Column | None,
    defaults: dict[str, Any],
    lines: _LineFinder,
    where: str,
) -> ColumnRule:
    line = lines.line(where)
    at = lines.where(where)
    if isinstance(spec, str):
        spec = {"from": spec}
    if not isinstance(spec, MappingType):
        raise MappingError(f'{at}: give a column name ("Lead Source") or a table {{ from = ..., ... }}')
    _check_rule_keys(spec, at)
    sources = spec.get("from", ())
    sources = (sources,) if isinstance(sources, str) else tuple(str(item) for item in sources)
    unmapped = str(spec.get("unmapped", "error"))
    if unmapped not in UNMAPPED_POLICIES:
        raise MappingError(f"{at}: unmapped = {unmapped!r}; use one of {', '.join(UNMAPPED_POLICIES)}")
    kind = _rule_type(target, spec, column, unmapped, at)
    sequence = spec.get("sequence") or {}
    if sequence:
        if set(sequence) - {"start", "step_minutes"} or "start" not in sequence:
            raise MappingError(
                f'{at}: sequence = {{ start = "2024-01-01T00:00:00Z", step_minutes = 60 }} (step default 60)'
            )
        _parse_moment(str(sequence["start"]), None, None, at)
        if spec.get("values"):
            raise MappingError(
                f"{at}: a sequence orders rows by a numeric column; it takes no values table (map the column "
                "to numbers with replace, or drop values)"
            )
    timezone = spec.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise MappingError(
                f"{at}: timezone {timezone!r} is not an IANA zone (e.g. Europe/Paris)"
            ) from error
    values = spec.get("values") or {}
    _check_values(target, values, column, at)
    only_when = spec.get("only_when") or {}
    return ColumnRule(
        target=target,
        line=line,
        sources=sources,
        value=None if "value" not in spec else str(spec["value"]),
        template=spec.get("template"),
        values=tuple((str(key), str(item)) for key, item in values.items()),
        replace=tuple((str(key), str(item)) for key, item in (spec.get("replace") or {}).items()),
        unmapped=unmapped,
        format=spec.get("format"),
        timezone=None if timezone is None else str(timezone),
        sequence=tuple(sequence.items()),
        uuid=bool(spec.get("uuid", False)),
        case_fold=bool(spec.get("case_fold", defaults["case_fold"])),
        missing_values=tuple(str(item) for item in spec.get("missing_values", defaults["missing_values"])),
        offset_days=float(spec.get("offset_days", 0)),
        only_when=tuple(
            (str(name), tuple(str(item) for item in (items if isinstance(items, list) else [items])))
            for name, items in only_when.items()
        ),
        type=kind if column is None else "text",
    )


def _check_rule_keys(spec: MappingType[str, Any], at: str) -> None:
    """Only known keys, and exactly one of from, value or template."""
    unknown = set(spec) - RULE_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise MappingError(
            f"{at}: unknown key {name!r}{_suggest(name, sorted(RULE_KEYS))}; keys: {', '.join(sorted(RULE_KEYS))}"
        )
    makers = [name for name in ("from", "value", "template") if name in spec]
    if len(makers) != 1:
        raise MappingError(f"{at}: give exactly one of from, value or template (got {makers or 'none'})")


def _rule_type(
    target: str, spec: MappingType[str, Any], column: Column | None, unmapped: str, at: str
) -> str:
    """The rule's value type (the contract's, or a custom column's ``type``), checked against its options."""
    kind = column.type if column is not None else str(spec.get("type", "text"))
    if column is None and kind not in CUSTOM_TYPES:
        raise MappingError(f"{at}: type = {kind!r}; a custom column is text or number")
    if column is not None and "type" in spec:
        raise MappingError(f"{at}: type applies to custom columns only; the contract types {target} ({kind})")
    if unmapped == "keep" and kind in ("picklist", "boolean", "integer", "money", "double", "number"):
        raise MappingError(
            f'{at}: unmapped = "keep" needs a text column; {target} is {kind}: use "error" or "null", or map the '
            "field as a custom text column to keep unknown values as their own level"
        )
    if "sequence" in spec and kind not in ("datetime", "date"):
        raise MappingError(f"{at}: sequence derives a moment; {target} is {kind}")
    return kind


def _check_values(target: str, values: Any, column: Column | None, at: str) -> None:
    """``values`` is a table and, for a picklist, maps to its codes or custom codes."""
    if not isinstance(values, MappingType):
        raise MappingError(f'{at}: values must be a table {{ "Won" = 1, "Lost" = 2 }}')
    if column is not None and column.type == "picklist" and column.codes:
        bad = [str(code) for code in values.values() if not _is_known_or_custom_code(code, column)]
        if bad:
            raise MappingError(
                f"{at}: values maps to {', '.join(bad)}, not codes of {target} (known: "
                f"{', '.join(f'{code} {label}' for code, label in column.codes)}; custom codes are 100000000 or more)"
            )


def _is_known_or_custom_code(code: Any, column: Column) -> bool:
    try:
        number = int(code)
    except (TypeError, ValueError):
        return False
    return number in column.code_values or number >= 100_000_000


def _suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# Converting -----------------------------------------------------------------------------------------------


def convert_mapped_source(
    mapping: SourceMapping, out_dir: Path, *, chunk_rows: int = ExtractConfig.mapped_chunk_rows
) -> ConversionSummary:
    """Write one contract-named CSV per mapped table into ``out_dir`` (all values as text).

    Files are read ``chunk_rows`` rows at a time (``[extract] mapped_chunk_rows``), so memory follows the chunk,
    not the file; what needs the whole table is kept small: the ids seen so far (duplicates across chunks),
    and for a ``sequence`` rule the distinct numbers of its column, read in a first pass.
    """
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, int]] = []
    unused: dict[str, tuple[str, ...]] = {}
    unknown: dict[tuple[str, str, str], int] = {}  # (policy, table.column, value) -> rows
    for table in mapping.tables:
        rules = (*table.rules, *table.custom)
        read = {name for rule in rules for name in rule.columns_read}
        ranks = _sequence_numbers(mapping, table, chunk_rows)
        ids = _IdCheck(mapping, table)
        rows = 0
        with (out_dir / f"{table.table}.csv").open("w", encoding="utf-8", newline="") as handle:
            for number, (chunk, path) in enumerate(_read_chunks(mapping, table, chunk_rows)):
                if chunk.attrs["first_of_file"]:
                    _check_source_columns(mapping, table, chunk, path, read)
                    unused[path.name] = tuple(
                        name for name in chunk.columns if name not in read and name != "_line"
                    )
                output: dict[str, Any] = {}
                for rule in rules:
                    output[rule.target] = _apply(mapping, table, rule, chunk, path, output, unknown, ranks)
                result = pd.DataFrame(output, index=chunk.index)
                result["_line"] = chunk["_line"]
                result = _ids_as_guids(table, ids.check(result, path))
                result.drop(columns="_line").to_csv(handle, index=False, header=number == 0)
                rows += len(result)
        ids.finish()
        written.append((table.table, rows))
    summary = ConversionSummary(
        tables=tuple(written),
        unused_columns=tuple(sorted(unused.items())),
        kept_unknown_values=_unknown_values(unknown, "keep"),
        nulled_unknown_values=_unknown_values(unknown, "null"),
    )
    for warning in summary.warnings():
        log.warning("%s", warning)
    return summary


def _unknown_values(
    unknown: MappingType[tuple[str, str, str], int], policy: str
) -> tuple[tuple[str, str, int], ...]:
    """Unknown values of one policy, column by column in mapping order, the most frequent first."""
    labels = list(dict.fromkeys(label for kind, label, _ in unknown if kind == policy))
    found = [(label, value, rows) for (kind, label, value), rows in unknown.items() if kind == policy]
    return tuple(sorted(found, key=lambda item: (labels.index(item[0]), -item[2])))


def _read_chunks(
    mapping: SourceMapping, table: TableMapping, chunk_rows: int
) -> Iterator[tuple[pd.DataFrame, Path]]:
    """Each file of ``table`` as frames of at most ``chunk_rows`` rows (all text), with ``_line``: the row's line
    in a CSV (line 1 is the header) or its position in a Parquet file, and ``attrs``: ``first_of_file`` and
    ``chunked`` (the file may hold more rows than this frame). An empty file gives one empty frame."""
    import pandas as pd

    for name in table.files:
        path = (mapping.data_dir / name).resolve()
        if not path.is_file():
            raise MappingError(
                f"{mapping.path}, line {table.line}: [tables.{table.table}] file {name!r} not found in "
                f"{mapping.data_dir}: give mapped:{mapping.path}@DATA_DIR with the folder that holds it, or fix file"
            )
        parquet = path.suffix.lower() == ".parquet"
        first_line = 1 if parquet else 2
        try:
            for index, frame in enumerate(_file_frames(path, parquet, chunk_rows)):
                frame.insert(0, "_line", range(first_line, first_line + len(frame)))
                frame.index = pd.RangeIndex(first_line, first_line + len(frame))
                frame.attrs["first_of_file"] = index == 0
                frame.attrs["chunked"] = index > 0 or len(frame) >= chunk_rows
                first_line += len(frame)
                yield frame, path
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
            raise MappingError(
                f"cannot read {path}: {error}; it must be a UTF-8 CSV with a header, or Parquet"
            ) from error


def _file_frames(path: Path, parquet: bool, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    if parquet:
        import pyarrow.parquet as pq

        reader = pq.ParquetFile(path)
        batches = reader.iter_batches(batch_size=chunk_rows)
        empty = True
        for batch in batches:
            empty = False
            yield batch.to_pandas().astype("string")
        if empty:
            yield reader.schema_arrow.empty_table().to_pandas().astype("string")
        return
    frames = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        na_filter=False,
        chunksize=chunk_rows,
    )
    with frames:
        empty = True
        for frame in frames:
            empty = False
            yield frame
    if empty:
        yield pd.read_csv(path, dtype=str, encoding="utf-8-sig", nrows=0)


def _sequence_numbers(mapping: SourceMapping, table: TableMapping, chunk_rows: int) -> dict[str, Any]:
    """For each ``sequence`` rule of ``table``: the sorted distinct numbers of its column over every file (a first
    pass over the files); a row's moment follows its number's rank among them."""
    import numpy as np
    import pandas as pd

    rules = [rule for rule in (*table.rules, *table.custom) if rule.sequence]
    if not rules:
        return {}
    columns = sorted({name for rule in rules for name in rule.columns_read})
    seen: dict[str, list[Any]] = {rule.target: [] for rule in rules}
    for chunk, _ in _read_chunks(mapping, table, chunk_rows):
        if not set(columns) <= set(chunk.columns):
            continue  # the second pass names the missing column
        for rule in rules:
            numbers = pd.to_numeric(_source_values(rule, chunk), errors="coerce").dropna()
            seen[rule.target].append(numbers.unique())
    return {
        target: np.unique(np.concatenate(parts)) if parts else np.array([]) for target, parts in seen.items()
    }


class _IdCheck:
    """Ids unique over the whole table although it is converted chunk by chunk.

    Each chunk's ids and lines are kept as Arrow arrays (about 40 bytes a row, no Python object per id, so no
    long-lived strings scattered among the chunks' freed memory) and checked once at the end, with DuckDB. With ``distinct`` the first row of each id is kept instead; that needs the
    ids seen so far as a set, fine for the tables it is meant for (one name per row, few distinct names).
    """

    def __init__(self, mapping: SourceMapping, table: TableMapping) -> None:
        self.mapping = mapping
        self.table = table
        self.key = load_contract().table(table.table).primary_key
        self.seen: set[str] = set()
        self.parts: list[Any] = []  # pyarrow tables (id, line)
        self.first_path: Path | None = None

    def check(self, result: pd.DataFrame, path: Path) -> pd.DataFrame:
        import pandas as pd
        import pyarrow as pa

        ids = result[self.key]
        if self.table.distinct:
            earlier = pd.Series([item in self.seen for item in ids.tolist()], index=ids.index, dtype=bool)
            result = result[ids.notna() & ~earlier & ~ids.duplicated()]
            self.seen.update(result[self.key].tolist())
            return result.reset_index(drop=True)
        self.first_path = self.first_path or path
        present = ids.notna()
        self.parts.append(
            pa.table(
                {
                    "id": pa.array(ids[present].astype(object), type=pa.string()),
                    "line": pa.array(result.loc[present, "_line"].astype("int64"), type=pa.int64()),
                }
            )
        )
        return result

    def finish(self) -> None:
        """Raise :class:`MappingError` naming the first duplicated ids and their lines, if any."""
        if not self.parts:
            return
        import duckdb
        import pyarrow as pa

        connection = duckdb.connect()
        connection.register("ids", pa.concat_tables(self.parts))
        duplicated = connection.execute(
            "SELECT id, list(line ORDER BY line) FROM ids GROUP BY id HAVING count(*) > 1 ORDER BY min(line)"
        ).fetchall()
        connection.close()
        if not duplicated:
            return
        rule = next(rule for rule in self.table.rules if rule.target == self.key)
        examples = "; ".join(
            f"{value} on lines {', '.join(str(line) for line in lines[:4])}"
            for value, lines in duplicated[:EXAMPLES_SHOWN]
        )
        count = sum(len(lines) for _, lines in duplicated)
        raise MappingError(
            f"{self.first_path}: {count} rows share an id for {self.table.table}.{self.key} (mapping "
            f"{self.mapping.path}, line {rule.line}): {examples}. Ids must be unique: map {self.key} from a unique "
            f"column, or set distinct = true in [tables.{self.table.table}] when the file lists one name per row on "
            "purpose"
        )


def _check_source_columns(
    mapping: SourceMapping, table: TableMapping, frame: pd.DataFrame, path: Path, read: set[str]
) -> None:
    present = [name for name in frame.columns if name != "_line"]
    for rule in (*table.rules, *table.custom):
        for name in rule.columns_read:
            if name not in present:
                raise MappingError(
                    f"{mapping.path}, line {rule.line}: {table.table}.{rule.target} reads column {name!r}, which "
                    f"{path.name} does not have{_suggest(name, present)}; its columns: {', '.join(present[:40])}"
                )


def _missing_mask(series: pd.Series, rule: ColumnRule) -> pd.Series:
    stripped = series.fillna("").astype(str).str.strip()
    missing = {item.strip().casefold() if rule.case_fold else item.strip() for item in rule.missing_values}
    keys = stripped.str.casefold() if rule.case_fold else stripped
    return (stripped == "") | keys.isin(missing)


def _apply(
    mapping: SourceMapping,
    table: TableMapping,
    rule: ColumnRule,
    frame: pd.DataFrame,
    path: Path,
    output: dict[str, Any],
    unknown: dict[tuple[str, str, str], int],
    ranks: MappingType[str, Any],
) -> pd.Series:
    import pandas as pd

    where = f"{mapping.path}, line {rule.line}"
    label = f"{table.table}.{rule.target}"
    values = _source_values(rule, frame)
    contract = load_contract().table(table.table)
    kind = contract.column(rule.target).type if rule.target in contract.column_names else rule.type
    if rule.values:
        values = _map_values(rule, values, frame, path, where, label, unknown)
    if rule.sequence:
        values = _sequence(rule, values, frame, path, where, label, ranks[rule.target])
    elif kind in ("datetime", "date") and (rule.format or rule.timezone or rule.offset_days):
        values = _moments(rule, values, frame, path, where, label, kind)
    elif kind == "number":
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & numbers.isna()
        if bad.any():
            _raise_examples(
                frame,
                path,
                bad,
                values,
                where,
                f"{label} is a number column but",
                'is not a number: write plain decimals, or declare type = "text"',
            )
    if rule.uuid:
        values = values.map(lambda item: pd.NA if pd.isna(item) else str(name_id(str(item))), na_action=None)
        values = values.astype("string")
    for name, allowed in rule.only_when:
        if name not in output:
            raise MappingError(f"{where}: only_when names {name!r}, which is not mapped before {rule.target}")
        values = values.where(output[name].isin(list(allowed)), pd.NA)
    return values


def _source_values(rule: ColumnRule, frame: pd.DataFrame) -> pd.Series:
    """A rule's text before its type is applied: its value, template or first non-missing ``from`` column,
    with ``replace`` corrections."""
    import pandas as pd

    if rule.value is not None:
        values = pd.Series([rule.value] * len(frame), index=frame.index, dtype="string")
    elif rule.template is not None:
        values = pd.Series([""] * len(frame), index=frame.index, dtype="string")
        for index, part in enumerate(re.split(r"\{([^{}]+)\}", rule.template)):
            values = values + (frame[part].fillna("").astype("string").str.strip() if index % 2 else part)
    else:
        values = pd.Series(pd.NA, index=frame.index, dtype="string")
        for name in rule.sources:
            column = frame[name].astype("string").str.strip()
            column = column.mask(_missing_mask(column, rule), pd.NA)
            values = values.fillna(column)
    if rule.replace:
        fixes = {(key.casefold() if rule.case_fold else key): item for key, item in rule.replace}
        keys = values.str.casefold() if rule.case_fold else values
        values = keys.map(fixes).astype("string").fillna(values)
    return values


def source_id(identifier: str) -> uuid.UUID:
    """The GUID of another CRM's id: uuid5 of the trimmed id, case kept (Salesforce's 15-character ids differ
    only in case)."""
    return uuid.uuid5(ID_NAMESPACE, f"id:{identifier.strip()}")


def name_id(name: str) -> uuid.UUID:
    """The id derived from a name (``uuid = true``): trimmed, case-folded, uuid5."""
    return uuid.uuid5(ID_NAMESPACE, " ".join(name.split()).casefold())


def _map_values(
    rule: ColumnRule,
    values: pd.Series,
    frame: pd.DataFrame,
    path: Path,
    where: str,
    label: str,
    unknown: dict[tuple[str, str, str], int],
) -> pd.Series:
    table = {(key.casefold() if rule.case_fold else key): item for key, item in rule.values}
    keys = values.str.casefold() if rule.case_fold else values
    mapped = keys.map(table).astype("string")
    unmapped = values.notna() & mapped.isna()
    if not unmapped.any():
        return mapped
    if rule.unmapped == "error":
        _raise_examples(
            frame,
            path,
            unmapped,
            values,
            where,
            f"{label}:",
            f"has no entry in values (known: {', '.join(key for key, _ in rule.values[:12])}); add it to "
            'values, or set unmapped = "null" (left empty) or "keep" (text columns: kept as its own level)',
        )
    for value, count in values[unmapped].value_counts().items():
        key = (rule.unmapped, label, str(value))
        unknown[key] = unknown.get(key, 0) + int(count)
    if rule.unmapped == "keep":
        return mapped.fillna(values)
    return mapped


def _sequence(
    rule: ColumnRule,
    values: pd.Series,
    frame: pd.DataFrame,
    path: Path,
    where: str,
    label: str,
    numbers_seen: Any,
) -> pd.Series:
    """A moment from an ordering number: the n-th smallest number of the whole table (``numbers_seen``, its
    sorted distinct numbers) gets start + (n - 1) * step."""
    import numpy as np
    import pandas as pd

    settings = dict(rule.sequence)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if bad.any() or numbers.isna().any():
        _raise_examples(
            frame,
            path,
            bad | numbers.isna(),
            values,
            where,
            f"{label} (sequence):",
            "is not a number; a sequence orders rows by a numeric column such as a record number",
        )
    start = _parse_moment(str(settings["start"]), None, None, where)
    step = timedelta(minutes=float(settings.get("step_minutes", 60)))
    rank = pd.Series(np.searchsorted(numbers_seen, numbers.to_numpy(dtype="float64")), index=values.index)
    moments = rank.map(lambda position: start + int(position) * step + timedelta(days=rule.offset_days))
    return moments.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")).astype("string")


def _moments(
    rule: ColumnRule,
    values: pd.Series,
    frame: pd.DataFrame,
    path: Path,
    where: str,
    label: str,
    kind: str,
) -> pd.Series:
    import pandas as pd

    parsed: list[Any] = []
    bad = []
    for item in values:
        if pd.isna(item):
            parsed.append(pd.NA)
            bad.append(False)
            continue
        try:
            moment = _parse_moment(str(item), rule.format, rule.timezone, where) + timedelta(
                days=rule.offset_days
            )
        except MappingError:
            parsed.append(pd.NA)
            bad.append(True)
            continue
        parsed.append(moment.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%SZ"))
        bad.append(False)
    mask = pd.Series(bad, index=values.index)
    if mask.any():
        _raise_examples(
            frame,
            path,
            mask,
            values,
            where,
            f"{label}:",
            f"does not match format {rule.format or 'ISO 8601'!r}; fix format (Python strptime codes, e.g. "
            "%d/%m/%Y %H:%M) or the values",
        )
    return pd.Series(parsed, index=values.index, dtype="string")


def _parse_moment(text: str, fmt: str | None, zone: str | None, where: str) -> datetime:
    """A naive UTC moment from ``text`` (``fmt`` or ISO 8601; local times in ``zone``, default UTC)."""
    try:
        moment = datetime.strptime(text.strip(), fmt) if fmt else datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise MappingError(f"{where}: {text!r} is not a moment ({error})") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _ids_as_guids(table: TableMapping, result: pd.DataFrame) -> pd.DataFrame:
    """Dataverse keys are GUIDs; other CRMs' ids (Salesforce's 18 characters, HubSpot's numbers) become one
    stable GUID each (:func:`source_id`), the same in every table that refers to them."""
    contract = load_contract().table(table.table)
    derived = {rule.target for rule in table.rules if rule.uuid}
    for column in contract.columns:
        if column.type != "guid" or column.name not in result or column.name in derived:
            continue
        values = result[column.name].astype("string")
        foreign = values.notna() & ~values.str.fullmatch(GUID_TEXT, case=False).fillna(True).astype(bool)
        if foreign.any():
            result[column.name] = values.where(
                ~foreign, values[foreign].map(lambda item: str(source_id(item)))
            )
            log.info(
                "%s.%s: %d ids that are not GUIDs turned into GUIDs (uuid5 of the id)",
                table.table,
                column.name,
                int(foreign.sum()),
            )
    return result


def _raise_examples(
    frame: pd.DataFrame, path: Path, mask: pd.Series, values: pd.Series, where: str, prefix: str, problem: str
) -> None:
    lines = frame.loc[mask, "_line"].tolist()
    shown = [
        f"line {line} {'(empty)' if values.loc[index] is None or str(values.loc[index]) == '<NA>' else repr(str(values.loc[index]))}"
        for index, line in list(zip(frame.index[mask], lines, strict=True))[:EXAMPLES_SHOWN]
    ]
    counted = f"{len(lines)} row(s)"
    if frame.attrs.get("chunked"):
        counted += f" among lines {frame['_line'].iloc[0]}-{frame['_line'].iloc[-1]} (read in chunks; later lines not checked)"
    raise MappingError(
        f"{path}: {counted}: {prefix} the value {problem} (first: {', '.join(shown)}; mapping {where})"
    )
