"""What Rapport scores: leads (will it qualify?) and opportunities (will it be won?).

One :class:`ScoringTarget` per model holds every name that differs between the two: the features
table, the id column, the MLflow experiment and registered model, the ``ml`` schema tables and the
words used in sentences ("64 % of such leads qualified").
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.errors import RapportInputError


class UnknownModelError(RapportInputError, ValueError):
    """A model name other than ``lead`` or ``opportunity`` was given."""


@dataclass(frozen=True)
class ScoringTarget:
    """Names and words of one scoring model."""

    model: str  # lead | opportunity (the Dataverse logical name, msdyn_entitytype)
    id_column: str  # record id column of the features table
    plural: str  # "leads"
    positive_outcome: str  # sentence ending for positives: "qualified"
    positive_label: str  # adjective for counts: "qualified"
    negative_label: str  # "disqualified"

    @property
    def features_table(self) -> str:
        return f"marts.fct_{self.model}_features"

    @property
    def features_model(self) -> str:
        """dbt model name of the features table (its YAML holds the feature spec)."""
        return f"fct_{self.model}_features"

    @property
    def registered_model(self) -> str:
        """MLflow experiment and registered model name."""
        return f"rapport_{self.model}_scoring"

    @property
    def history_table(self) -> str:
        return f"ml.{self.model}_score_history"

    @property
    def reasons_table(self) -> str:
        return f"ml.{self.model}_score_reasons"

    @property
    def insights_table(self) -> str:
        return f"ml.{self.model}_attribute_insights"


TARGETS: dict[str, ScoringTarget] = {
    "lead": ScoringTarget(
        model="lead",
        id_column="lead_id",
        plural="leads",
        positive_outcome="qualified",
        positive_label="qualified",
        negative_label="disqualified",
    ),
    "opportunity": ScoringTarget(
        model="opportunity",
        id_column="opportunity_id",
        plural="opportunities",
        positive_outcome="were won",
        positive_label="won",
        negative_label="lost",
    ),
}


def get_target(model: str) -> ScoringTarget:
    """The :class:`ScoringTarget` named ``model`` (``lead`` or ``opportunity``)."""
    try:
        return TARGETS[model]
    except KeyError:
        raise UnknownModelError(
            f"unknown scoring model {model!r}; Rapport scores {sorted(TARGETS)} (pass one of these names)"
        ) from None


def target_for_registered_name(name: str) -> ScoringTarget:
    """The target whose MLflow registered model is ``name`` (e.g. ``rapport_lead_scoring``)."""
    for target in TARGETS.values():
        if target.registered_model == name:
            return target
    known = sorted(target.registered_model for target in TARGETS.values())
    raise UnknownModelError(f"unknown registered model {name!r}; Rapport registers {known}")
