"""Bad rows planted in a generated export, so a run on the sample shows what validation does with them.

Real exports carry a few rows a CRM should never have held. The sample carries some too (``[sample]
defect_rows`` of each kind, 0 for none), each a copy of a good row under a new key with one fault:

* ``account``: an option-set code the contract does not know (``customertypecode`` 99);
* ``task``: ``modifiedon`` a day before ``createdon``;
* ``activityparty``: a party of an activity that does not exist (a dangling reference).

Validation quarantines every one with its reason; nothing else changes (the copies have new keys, so the
good rows and the ground truth in ``_truth/`` are untouched). Same arguments, same rows.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path

_NAMESPACE = uuid.UUID("6f1c2b0e-4d3a-4e5f-9a7b-8c9d0e1f2a3b")

KINDS = ("account", "task", "activityparty")


def _guid(text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, text))


def _faulty_values(table: str, row: dict, index: int) -> dict:
    """The column values that make copy ``index`` of ``row`` a bad row of ``table``."""
    if table == "account":
        return {"accountid": _guid(f"defect:account:{index}"), "customertypecode": 99}
    if table == "task":
        created = row["createdon"]
        if isinstance(created, str):
            parsed = datetime.fromisoformat(created.replace("Z", "+00:00")) - timedelta(days=1)
            earlier: object = parsed.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if created.endswith("Z") else "")
        else:
            earlier = created - timedelta(days=1)
        return {"activityid": _guid(f"defect:task:{index}"), "modifiedon": earlier}
    return {
        "activitypartyid": _guid(f"defect:activityparty:{index}"),
        "activityid": _guid(f"defect:missing-activity:{index}"),
    }


def plant_defects(out_dir: Path, fmt: str, rows_per_kind: int) -> dict[str, int]:
    """Append ``rows_per_kind`` bad copies to each table of :data:`KINDS`; return the rows planted per table."""
    planted: dict[str, int] = {}
    if rows_per_kind <= 0:
        return planted
    for table in KINDS:
        path = Path(out_dir) / f"{table}.{fmt}"
        if fmt == "parquet":
            _plant_parquet(path, table, rows_per_kind)
        else:
            _plant_csv(path, table, rows_per_kind)
        planted[table] = rows_per_kind
    return planted


def _plant_parquet(path: Path, table: str, count: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pq.read_table(path)
    copies = []
    for index in range(count):
        copy = data.slice(index, 1)
        for column, value in _faulty_values(table, copy.to_pylist()[0], index).items():
            position = copy.schema.get_field_index(column)
            field = copy.schema.field(position)
            copy = copy.set_column(position, field, pa.array([value], type=field.type))
        copies.append(copy)
    temporary = path.with_suffix(".parquet.tmp")
    pq.write_table(pa.concat_tables([data, *copies]), temporary, compression="zstd", compression_level=1)
    temporary.replace(path)


def _plant_csv(path: Path, table: str, count: int) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        originals = [row for _, row in zip(range(count), reader, strict=False)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for index, row in enumerate(originals):
        writer.writerow(row | {k: str(v) for k, v in _faulty_values(table, row, index).items()})
    text = path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8", newline="") as handle:
        if text and not text.endswith("\n"):
            handle.write("\n")
        handle.write(out.getvalue())
