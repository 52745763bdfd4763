"""Bad input is never retried: every input error subclasses RapportInputError, which the DAG fails at once."""

from __future__ import annotations

import pytest
from airflow.sdk.definitions.retry_policy import RetryAction

from rapport.config import ConfigError
from rapport.errors import RapportInputError, TransientError
from rapport.extract.mail.summary import MailImportError, MissingInternalDomainError
from rapport.ml.as_of import AsOfError
from rapport.ml.features import FeatureSpecError
from rapport.ml.notes.evaluation import EvaluationDataError
from rapport.ml.notes.languages import UnknownLanguageError
from rapport.ml.notes.talking_points import UnknownCategoryError
from rapport.ml.targets import UnknownModelError
from rapport.sample.scales import GenerationError, ScaleError

INPUT_ERRORS = [
    ConfigError,  # rapport.toml or a user layer
    MailImportError,  # the archive or output folder given to the mail importer
    MissingInternalDomainError,  # no [mail] internal_domains / --internal-domain
    GenerationError,  # sample generator arguments ([sample] or `rapport generate`)
    ScaleError,
    AsOfError,  # --date / as-of value
    FeatureSpecError,  # [scoring.*.fields] custom fields
    UnknownLanguageError,  # [notes] languages
    UnknownCategoryError,  # [talking_points.categories]
    UnknownModelError,  # `rapport models` arguments
    EvaluationDataError,  # a labelled notes file
]


@pytest.mark.parametrize("error", INPUT_ERRORS, ids=lambda error: error.__name__)
def test_input_errors_subclass_rapport_input_error(error: type[Exception]) -> None:
    assert issubclass(error, RapportInputError)
    assert issubclass(error, ValueError), "still a ValueError for callers that catch that"


@pytest.fixture(scope="module")
def retry_policy():
    import sales_insights

    return sales_insights.RETRY_POLICY


@pytest.mark.parametrize("error", INPUT_ERRORS, ids=lambda error: error.__name__)
def test_the_dag_fails_input_errors_at_once(retry_policy, error: type[Exception]) -> None:
    decision = retry_policy.evaluate(error("bad input"), try_number=1, max_tries=3)
    assert decision.action == RetryAction.FAIL


def test_the_dag_retries_a_transient_error(retry_policy) -> None:
    decision = retry_policy.evaluate(TransientError("disk full"), try_number=1, max_tries=3)
    assert decision.action != RetryAction.FAIL
