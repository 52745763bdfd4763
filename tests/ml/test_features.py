"""The features interface: spec from YAML meta, point-in-time rows, the model matrix."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import yaml

from rapport.ml.features import (
    FeatureColumn,
    FeatureSpec,
    FeatureSpecError,
    PointInTimeError,
    build_levels,
    load_feature_spec,
    prepare_matrix,
    read_closed_rows,
    read_open_rows,
    training_window,
)
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
from rapport.ml.targets import get_target
from rapport.warehouse import connect
from tests.ml.support import AS_OF, write_spec_yaml

LEAD = get_target("lead")


def test_spec_is_read_from_dbt_yaml_meta(settings):
    spec = synthetic_spec("lead", SyntheticOptions())
    path = write_spec_yaml(settings, LEAD, spec)
    loaded = load_feature_spec(LEAD, settings.dbt_project_dir)
    assert loaded == spec
    assert loaded.source == str(path)
    assert loaded.fields[:3] == ["Industry", "Source", "E-mails"]
    # Two columns share the source field "E-mails"; sentences name each by its label.
    assert [c.display for c in loaded.columns if c.field == "E-mails"] == [
        "E-mails received in the last 90 days",
        "E-mails sent in the last 90 days",
    ]


def test_spec_accepts_meta_under_config(settings):
    path = settings.dbt_project_dir / "models" / "marts" / "scoring" / "fct_lead_features.yml"
    path.parent.mkdir(parents=True)
    document = {
        "models": [
            {
                "name": "fct_lead_features",
                "columns": [
                    {
                        "name": "industry",
                        "config": {"meta": {"feature": {"field": "Industry", "kind": "categorical"}}},
                    },
                    {"name": "notes", "description": "not a feature"},
                ],
            }
        ]
    }
    path.write_text(yaml.safe_dump(document))
    assert load_feature_spec(LEAD, settings.dbt_project_dir).names == ["industry"]


def test_spec_errors_say_what_to_fix(settings):
    with pytest.raises(FeatureSpecError, match="does not exist"):
        load_feature_spec(LEAD, settings.dbt_project_dir)
    with pytest.raises(FeatureSpecError, match="derived durations"):
        FeatureColumn("created_on", "Created on", "datetime")
    with pytest.raises(FeatureSpecError, match="duplicate"):
        FeatureSpec("lead", (FeatureColumn("a", "A", "numeric"), FeatureColumn("a", "A", "numeric")))
    with pytest.raises(FeatureSpecError, match="record columns"):
        FeatureSpec("lead", (FeatureColumn("label", "Label", "numeric"),))


def test_levels_merge_case_variants_and_keep_the_common_spelling():
    spec = FeatureSpec("lead", (FeatureColumn("source", "Source", "categorical"),))
    frame = pd.DataFrame({"source": ["Google", "google", "Google", " Direct ", "", None]})
    levels = build_levels(frame, spec)
    assert levels["source"] == {"google": "Google", "direct": "Direct"}
    matrix = prepare_matrix(pd.DataFrame({"source": ["GOOGLE", "direct", "Bing", None]}), spec, levels)
    assert isinstance(matrix["source"].dtype, pd.CategoricalDtype)
    assert list(matrix["source"].cat.categories) == ["Direct", "Google"]
    assert matrix["source"].tolist()[:2] == ["Google", "Direct"]
    assert matrix["source"].isna().tolist() == [False, False, True, True]  # unseen "Bing" is missing


def test_dates_are_refused_as_features():
    spec = FeatureSpec("lead", (FeatureColumn("last_seen", "Last seen", "numeric"),))
    frame = pd.DataFrame({"last_seen": pd.to_datetime(["2026-01-01"])})
    with pytest.raises(FeatureSpecError, match="derived durations"):
        prepare_matrix(frame, spec, {})


def test_training_rows_are_created_and_closed_in_the_window(settings):
    options = SyntheticOptions(closed=300, open=20)
    frame = make_feature_rows(LEAD, AS_OF, options)
    # One record created before the window, one closed after the as-of moment: neither is a training row.
    frame.loc[0, "created_at"] = AS_OF - timedelta(days=800)
    frame.loc[1, "closed_at"] = AS_OF + timedelta(hours=1)
    frame.loc[1, "feature_at"] = AS_OF - timedelta(days=6)
    with connect(settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, frame)
        rows = read_closed_rows(
            connection, LEAD, synthetic_spec("lead", options), training_window(AS_OF, 730)
        )
        open_rows = read_open_rows(connection, LEAD, None, AS_OF, 730)
    assert len(rows) == 298
    assert not set(rows["lead_id"]) & {frame.loc[0, "lead_id"], frame.loc[1, "lead_id"]}
    assert rows["closed_at"].is_monotonic_increasing
    assert (rows["feature_at"] <= rows["closed_at"]).all()
    assert len(open_rows) == 20 and open_rows["label"].isna().all()


def test_newest_snapshot_at_or_before_the_as_of_date_is_used(settings):
    options = SyntheticOptions(closed=100, open=0)
    old = make_feature_rows(LEAD, AS_OF, options)
    later = old.assign(as_of_date=(AS_OF + timedelta(days=3)).date(), industry="Retail")
    earlier = old.assign(as_of_date=(AS_OF - timedelta(days=3)).date(), industry="Health")
    with connect(settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, pd.concat([earlier, old, later]))
        rows = read_closed_rows(
            connection, LEAD, synthetic_spec("lead", options), training_window(AS_OF, 730)
        )
    assert len(rows) == 100
    assert rows["industry"].tolist() == old.sort_values("closed_at")["industry"].tolist()


def test_features_after_the_close_are_refused(settings):
    options = SyntheticOptions(closed=50, open=5)
    frame = make_feature_rows(LEAD, AS_OF, options)
    frame.loc[3, "feature_at"] = frame.loc[3, "closed_at"] + timedelta(days=1)
    with connect(settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, frame)
        with pytest.raises(PointInTimeError, match="after their close"):
            read_closed_rows(connection, LEAD, synthetic_spec("lead", options), training_window(AS_OF, 730))
        frame = make_feature_rows(LEAD, AS_OF, options)
        frame.loc[len(frame) - 1, "feature_at"] = AS_OF + timedelta(days=1)
        write_feature_table(connection, LEAD, frame)
        with pytest.raises(PointInTimeError, match="after the as-of moment"):
            read_open_rows(connection, LEAD, None, AS_OF, 730)
