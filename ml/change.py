"""Why a score changed: per record, the fields whose contributions moved most since its previous score.

Both the record's previous feature row (the features history at its previous scoring date) and today's
are explained with today's model (exact TreeSHAP, summed per source field); the difference per field is
how much that field moved the log-odds. Stored as ``change_json`` in the score history, for every
record with a previous score::

    {"since": "2026-11-26", "previous_score": 71, "score": 49, "model_changed": false,
     "moved_by": [{"field": "Relationship health", "change": -0.92, "from": "0.61", "to": "0.48"}, ...]}

``moved_by`` is empty when neither the record's data nor the model changed; ``model_changed`` true says
part of the move is the new model (the field changes are today's model's reading of the data change);
a previous row no longer in the history gives ``"moved_by": null`` with a ``note``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rapport.ml.explain import field_contributions

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from rapport.ml.bundle import ModelBundle

CHANGE_FIELDS = 3  # fields listed per change, by |change|
MIN_CHANGE = 1e-6  # log-odds: smaller field moves are not listed


def _value_text(value: object) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value) is True:  # None, NaN, NaT or pandas' NA (nullable columns)
        return None
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def describe_changes(
    bundle: ModelBundle,
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    since: list[str],
    previous_scores: np.ndarray,
    scores: np.ndarray,
    model_changed: np.ndarray,
) -> list[str]:
    """One ``change_json`` per row of ``current`` (aligned with ``previous``: same records, same order).

    A row of ``previous`` with every feature missing and no id (``_missing`` True) gets a note instead.
    """
    import numpy as np

    spec = bundle.spec
    now = field_contributions(bundle.contributions(bundle.matrix(current)), spec)
    before = field_contributions(bundle.contributions(bundle.matrix(previous)), spec)
    delta = now - before
    missing = (
        previous["_missing"].to_numpy(dtype=bool) if "_missing" in previous else np.zeros(len(current), bool)
    )
    columns_of = {name: [c.name for c in spec.columns if c.field == name] for name in spec.fields}
    out = []
    for row in range(len(current)):
        change: dict[str, object] = {
            "since": since[row],
            "previous_score": int(previous_scores[row]),
            "score": int(scores[row]),
            "model_changed": bool(model_changed[row]),
        }
        if missing[row]:
            change["moved_by"] = None
            change["note"] = "the previous feature row is no longer in the features history"
        else:
            order = np.argsort(-np.abs(delta[row]))[:CHANGE_FIELDS]
            moved = []
            for f in order:
                if abs(delta[row, f]) < MIN_CHANGE:
                    continue
                name = spec.fields[f]
                column = columns_of[name][0]
                moved.append(
                    {
                        "field": name,
                        "change": round(float(delta[row, f]), 4),
                        "from": _value_text(previous[column].iloc[row]),
                        "to": _value_text(current[column].iloc[row]),
                    }
                )
            change["moved_by"] = moved
        out.append(json.dumps(change, ensure_ascii=False))
    return out
