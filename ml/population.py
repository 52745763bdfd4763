"""Population figures: how often records with a given value turned out positive, in the training data.

For every feature column the training window's closed records are grouped by value: categorical
columns by level, numeric columns by quantile bins (edges at the 20/40/60/80th percentiles of the
filled-in values, rounded to three significant digits, duplicates merged), and a missing value is a
group of its own. Each group keeps its record and positive counts. Reasons quote them
("Industry is Financial: 64 % of such leads qualified") and the attribute insights list them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapport.ml.features import FeatureSpec
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MISSING = -1  # value code of a missing value
UNSEEN = -2  # value code of a categorical value never seen in training
QUANTILES = (0.2, 0.4, 0.6, 0.8)
MIN_RATE_RECORDS = 20  # below this many records a sentence gives counts ("2 of 3"), not a percentage


@dataclass(frozen=True)
class ValueGroup:
    """The records sharing one value (level, bin or missing) of one column."""

    code: int
    text: str
    records: int
    positives: int

    @property
    def rate(self) -> float | None:
        return self.positives / self.records if self.records else None


@dataclass(frozen=True)
class ColumnPopulation:
    """Value groups of one feature column."""

    column: str
    field: str
    display: str
    kind: str
    edges: tuple[float, ...]
    groups: tuple[ValueGroup, ...]

    def group(self, code: int) -> ValueGroup | None:
        for group in self.groups:
            if group.code == code:
                return group
        return None


@dataclass(frozen=True)
class Population:
    """Value groups of every feature column, and the overall positive rate."""

    records: int
    positives: int
    columns: dict[str, ColumnPopulation]

    @property
    def overall_rate(self) -> float:
        return self.positives / self.records if self.records else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "positives": self.positives,
            "columns": [
                {
                    "column": c.column,
                    "field": c.field,
                    "display": c.display,
                    "kind": c.kind,
                    "edges": list(c.edges),
                    "groups": [[g.code, g.text, g.records, g.positives] for g in c.groups],
                }
                for c in self.columns.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Population:
        columns = {
            c["column"]: ColumnPopulation(
                column=c["column"],
                field=c["field"],
                display=c["display"],
                kind=c["kind"],
                edges=tuple(float(edge) for edge in c["edges"]),
                groups=tuple(ValueGroup(int(g[0]), str(g[1]), int(g[2]), int(g[3])) for g in c["groups"]),
            )
            for c in data["columns"]
        }
        return cls(records=int(data["records"]), positives=int(data["positives"]), columns=columns)


def format_number(value: float) -> str:
    """A bin edge for people: ``12``, ``0.5``, ``1,200``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _round_significant(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def numeric_edges(values: np.ndarray) -> tuple[float, ...]:
    """Bin edges for one numeric column (see the module docstring)."""
    import numpy as np

    present = values[~np.isnan(values)]
    if not len(present):
        return ()
    is_integer = bool(np.all(np.equal(np.mod(present, 1), 0)))
    raw = np.quantile(present, QUANTILES, method="higher" if is_integer else "linear")
    edges = sorted({_round_significant(float(edge)) for edge in raw})
    return tuple(edges)


# Plain words for the bins of a column with fractional values (a health component, a share, a rate):
# quoting their edges ("between 0.422 and 0.679") tells a person nothing.
RANK_WORDS = {
    2: ("low", "high"),
    3: ("low", "medium", "high"),
    4: ("very low", "low", "high", "very high"),
    5: ("very low", "low", "medium", "high", "very high"),
}


def bin_texts(edges: tuple[float, ...], is_integer: bool) -> list[str]:
    """Names of the ``len(edges) + 1`` bins.

    Whole numbers (counts, days): ``less than a``, ``a to b``, ..., ``z or more``. Fractional values:
    words by rank among the training records (``very low`` ... ``very high``).
    """
    if not edges:
        return ["any value"]
    if not is_integer and len(edges) + 1 in RANK_WORDS:
        return [f"{word} (compared with other records)" for word in RANK_WORDS[len(edges) + 1]]
    texts = [f"less than {format_number(edges[0])}"]
    for low, high in itertools.pairwise(edges):
        if is_integer and float(low).is_integer() and float(high).is_integer():
            texts.append(
                format_number(low)
                if high - 1 <= low
                else f"{format_number(low)} to {format_number(high - 1)}"
            )
        else:
            texts.append(f"between {format_number(low)} and {format_number(high)}")
    texts.append(f"{format_number(edges[-1])} or more")
    return texts


def numeric_codes(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Bin index of each value (:data:`MISSING` when missing)."""
    import numpy as np

    codes = np.searchsorted(np.asarray(edges, dtype="float64"), values, side="right").astype("int32")
    codes[np.isnan(values)] = MISSING
    return codes


def compute_population(matrix: pd.DataFrame, labels: pd.Series | np.ndarray, spec: FeatureSpec) -> Population:
    """Group the training rows of ``matrix`` (a prepared model matrix) by value, per column."""
    import numpy as np

    y = np.asarray(labels, dtype="int64")
    columns: dict[str, ColumnPopulation] = {}
    for column in spec.columns:
        if column.kind == "categorical":
            series = matrix[column.name]
            codes = series.cat.codes.to_numpy().astype("int32")
            texts = list(series.cat.categories)
            edges: tuple[float, ...] = ()
        else:
            values = matrix[column.name].to_numpy("float64")
            edges = numeric_edges(values)
            present = values[~np.isnan(values)]
            is_integer = bool(len(present)) and bool(np.all(np.equal(np.mod(present, 1), 0)))
            texts = bin_texts(edges, is_integer)
            codes = numeric_codes(values, edges)
        groups = []
        for code, text in [(MISSING, "unknown"), *enumerate(texts)]:
            mask = codes == code
            records = int(mask.sum())
            if code == MISSING and not records:
                continue
            groups.append(
                ValueGroup(code=code, text=str(text), records=records, positives=int(y[mask].sum()))
            )
        columns[column.name] = ColumnPopulation(
            column=column.name,
            field=column.field,
            display=column.display,
            kind=column.kind,
            edges=edges,
            groups=tuple(groups),
        )
    return Population(records=len(y), positives=int(y.sum()), columns=columns)


def value_codes(matrix: pd.DataFrame, spec: FeatureSpec, population: Population) -> np.ndarray:
    """(rows x columns) value codes of a prepared matrix, in the spec's column order."""
    import numpy as np

    out = np.empty((len(matrix), len(spec.columns)), dtype="int32")
    for j, column in enumerate(spec.columns):
        if column.kind == "categorical":
            out[:, j] = matrix[column.name].cat.codes.to_numpy()
        else:
            out[:, j] = numeric_codes(
                matrix[column.name].to_numpy("float64"), population.columns[column.name].edges
            )
    return out


def sentence(
    column: ColumnPopulation, group: ValueGroup | None, target: ScoringTarget, text: str | None = None
) -> str:
    """``Industry is Financial: 64 % of such leads qualified`` (counts below 20 records)."""
    value = text if text is not None else (group.text if group else "unknown")
    head = f"{column.display} is {value}"
    if group is None or not group.records:
        return f"{head}: no such {target.plural} in the training data"
    if group.records < MIN_RATE_RECORDS:
        return f"{head}: {group.positives} of {group.records} such {target.plural} {target.positive_outcome}"
    return f"{head}: {round(100 * group.positives / group.records)} % of such {target.plural} {target.positive_outcome}"


def insight_rows(population: Population, spec: FeatureSpec) -> list[dict[str, Any]]:
    """Attribute insights: per field, column and value, the rate against the overall rate."""
    overall = population.overall_rate
    rows = []
    for column in spec.columns:
        column_population = population.columns[column.name]
        for order, group in enumerate(column_population.groups):
            if not group.records:
                continue
            rate = group.positives / group.records
            rows.append(
                {
                    "field": column.field,
                    "column_name": column.name,
                    "value_text": group.text,
                    "value_order": order,
                    "records": group.records,
                    "positives": group.positives,
                    "rate": rate,
                    "overall_rate": overall,
                    "lift": rate / overall if overall else None,
                }
            )
    return rows
