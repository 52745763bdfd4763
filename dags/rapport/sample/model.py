"""The latent model behind outcomes: how attributes and a hidden interest drive qualification and wins.

Every lead and opportunity gets a propensity on the logit scale::

    z = attribute_logit + latent_logit

``attribute_logit`` is the sum of the effects below (visible to a model through the record's
columns); ``latent_logit`` is hidden interest, drawn N(0, LATENT_SD), that a model can only see
through engagement: how often and how fast both sides write, who initiates, meetings held, whether
the customer goes quiet. The outcome is drawn once: success with probability ``sigmoid(base + z)``,
``base`` being solved so the overall rate matches the target rate. Engagement is generated from the
standardised propensity and, more weakly, from the outcome itself (deals that will be lost cool down
before they close), so relationship health measured before the close separates wins from losses but
does not give them away. docs/sample_data.md describes the model for users.
"""

from __future__ import annotations

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)

from rapport.sample.arrays import sigmoid

LATENT_SD = 0.9
TARGET_QUALIFICATION_RATE = 0.34
TARGET_WIN_RATE = 0.42

# lead source code -> effect (1 Advertisement ... 10 Other)
LEAD_SOURCE = {1: -0.5, 2: 0.8, 3: 0.6, 4: 0.5, 5: -0.3, 6: 0.2, 7: 0.1, 8: -0.2, 9: 0.4, 10: -0.4}
LEAD_SOURCE_WEIGHTS = {
    1: 0.10,
    2: 0.06,
    3: 0.06,
    4: 0.08,
    5: 0.04,
    6: 0.08,
    7: 0.10,
    8: 0.35,
    9: 0.05,
    10: 0.08,
}
# industry code -> effect; unlisted industries 0
INDUSTRY = {
    16: 0.4,
    7: 0.4,
    6: 0.35,
    20: 0.3,
    21: 0.2,
    12: 0.15,
    30: 0.1,
    13: -0.45,
    14: -0.4,
    23: -0.3,
    25: -0.3,
    27: -0.35,
    29: -0.2,
    26: -0.25,
}
BUDGET_STATUS = {0: -0.6, 1: -0.1, 2: 0.3, 3: 0.7}
PURCHASE_TIMEFRAME = {0: 0.5, 1: 0.3, 2: 0.0, 3: -0.2, 4: -0.5}
NEED = {0: 0.5, 1: 0.2, 2: -0.2, 3: -0.9}
PURCHASE_PROCESS = {0: 0.1, 1: -0.1, 2: -0.2}
MISSING = -0.12  # a field left empty
DECISION_MAKER = 0.5
FREE_MAIL = -0.8
IMPLAUSIBLE_NAME = -3.0
EXISTING_ACCOUNT = 0.4
EMPLOYEES_PER_DECADE = 0.35  # per factor 10 of employees, centred on 200
# opportunities
DEAL_SIZE_PER_DECADE = -0.35  # per factor 10 of estimated value, centred on 50,000
FROM_LEAD_CARRY = 0.6  # share of the originating lead's latent interest an opportunity inherits
OPPORTUNITY_ATTRIBUTE_WEIGHT = (
    1.4  # opportunity attributes are better qualified than a lead's: they weigh more
)


def effect(codes: np.ndarray, table: dict[int, float], missing: float = MISSING) -> np.ndarray:
    """Look up an effect per code; codes < 0 mean "not filled in"."""
    lookup = np.zeros(max(table) + 2)
    for code, value in table.items():
        lookup[code] = value
    codes = np.asarray(codes)
    return np.where(codes < 0, missing, lookup[np.clip(codes, 0, len(lookup) - 1)])


def employees_effect(employees: np.ndarray) -> np.ndarray:
    """Bigger companies qualify and buy more often (log scale, capped); missing counts a little negative."""
    known = employees > 0
    size = np.clip(np.log10(np.where(known, employees, 1)) - np.log10(200), -2, 2) * EMPLOYEES_PER_DECADE
    return np.where(known, size, MISSING)


def solve_base(z: np.ndarray, target_rate: float) -> float:
    """The intercept ``b`` with ``mean(sigmoid(b + z)) == target_rate`` (bisection, deterministic)."""
    low, high = -15.0, 15.0
    for _ in range(60):
        middle = (low + high) / 2
        if sigmoid(middle + z).mean() < target_rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def standardise(z: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (engagement parameters are set on this scale)."""
    spread = z.std()
    return (z - z.mean()) / (spread if spread > 0 else 1.0)
