"""The model's contributions: the per-fold plan is built once and changes no figure, and a
stored model does not carry it."""

import pickle

import numpy as np
import pytest

from attendance.features import FAMILIES, feature_frame, training_targets
from attendance.generator import generate_clinic
from attendance.learning import fit


def test_contributions_are_the_same_from_the_cached_plan_and_after_storing():
    clinic = generate_clinic(seed=4, appointments=1500)
    targets = training_targets(clinic.history)
    features = feature_frame(clinic.history, clinic.reminders, targets)
    model = fit("logistic", features, targets["missed"].to_numpy())
    rows = features.iloc[:50]
    first = model.contributions(rows)
    assert model._plans is not None and len(model._plans) == len(
        model.classifier.calibrated_classifiers_
    )
    np.testing.assert_array_equal(model.contributions(rows).to_numpy(), first.to_numpy())
    stored = pickle.loads(pickle.dumps(model))
    assert stored._plans is None
    np.testing.assert_allclose(stored.contributions(rows).to_numpy(), first.to_numpy())
    # Each family set to the reference contributes nothing, and only that family.
    for family, inputs in FAMILIES.items():
        moved = rows.copy()
        for column in inputs:
            moved[column] = model.reference[column]
        shares = model.contributions(moved)
        np.testing.assert_allclose(shares[family].to_numpy(), 0.0, atol=1e-9)
        others = shares.drop(columns=[family]).to_numpy()
        np.testing.assert_allclose(others, first.drop(columns=[family]).to_numpy(), atol=1e-9)


@pytest.mark.parametrize("kind", ["logistic", "boosting"])
def test_explain_gives_the_classifiers_own_probabilities_and_the_contributions(kind):
    clinic = generate_clinic(seed=5, appointments=1500)
    targets = training_targets(clinic.history)
    features = feature_frame(clinic.history, clinic.reminders, targets)
    model = fit(kind, features, targets["missed"].to_numpy())
    rows = features.iloc[-80:]
    probabilities, contributions = model.explain(rows)
    np.testing.assert_allclose(probabilities, model.probabilities(rows), rtol=0, atol=1e-12)
    assert probabilities.std() > 0
    np.testing.assert_array_equal(contributions.to_numpy(), model.contributions(rows).to_numpy())
    assert list(contributions.index) == list(rows.index)
    empty_probabilities, empty_contributions = model.explain(rows.iloc[:0])
    assert empty_probabilities.shape == (0,)
    assert list(empty_contributions.columns) == list(FAMILIES)


def test_a_folds_fast_encoding_is_its_column_transformers_own():
    clinic = generate_clinic(seed=6, appointments=1500)
    targets = training_targets(clinic.history)
    features = feature_frame(clinic.history, clinic.reminders, targets)
    # A provider seen in training, but too rarely for a column of its own (min_frequency).
    features.iloc[::400, features.columns.get_loc("provider")] = "rare"
    model = fit("logistic", features, targets["missed"].to_numpy())
    assert any(
        "infrequent" in name for name in model._fold_plans()[0].columns.get_feature_names_out()
    )
    rows = features.iloc[-120:].copy()
    rows.iloc[0, rows.columns.get_loc("provider")] = "rare"
    rows.iloc[1, rows.columns.get_loc("service")] = "never-seen"
    rows.iloc[2, rows.columns.get_loc("provider")] = "never-seen"
    for plan in model._fold_plans():
        expected = np.asarray(plan.columns.transform(rows), dtype=float)
        np.testing.assert_array_equal(plan.encode(rows), expected)
        assert plan.encode(rows).shape == expected.shape
