"""The no-show model, pure (scikit-learn, no Django): candidates, calibration, selection,
held-out metrics and each prediction's contributions.

Two candidates, each calibrated on folds of its training data (`CalibratedClassifierCV`): a
regularised logistic regression and gradient-boosted trees. The one with the lower Brier score
on the newest slice of the training data wins and is refitted on all of it; the caller
evaluates it on the held-out slice that neither saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from attendance.features import CATEGORICAL_FEATURES, FAMILIES, FEATURE_NAMES, NUMERIC_FEATURES

CANDIDATES = ("logistic", "boosting")
VALIDATION_SHARE = 0.2
ECE_BINS = 10


def _columns() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            (
                "category",
                OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False),
                list(CATEGORICAL_FEATURES),
            ),
        ]
    )


def candidate(kind: str, *, seed: int = 0) -> CalibratedClassifierCV:
    if kind == "logistic":
        estimator = LogisticRegression(C=0.3, max_iter=2000)
        method = "sigmoid"
    elif kind == "boosting":
        estimator = HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.08,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
        method = "isotonic"
    else:
        raise ValueError(f"unknown candidate {kind!r}")
    pipeline = Pipeline([("columns", _columns()), ("model", estimator)])
    return CalibratedClassifierCV(pipeline, method=method, cv=3)


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The mean gap between predicted and observed rates over ten equal-width bins, weighted
    by the share of predictions in each."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    if labels.size == 0:
        return 0.0
    bins = np.minimum((probabilities * ECE_BINS).astype(int), ECE_BINS - 1)
    total = 0.0
    for number in range(ECE_BINS):
        inside = bins == number
        if inside.any():
            gap = abs(labels[inside].mean() - probabilities[inside].mean())
            total += inside.mean() * gap
    return float(total)


def metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """AUC, PR-AUC, Brier score and ECE (AUC and PR-AUC are None with a single class)."""
    labels = np.asarray(labels, dtype=int)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    both = 0 < labels.sum() < labels.size
    return {
        "auc": round(float(roc_auc_score(labels, probabilities)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(labels, probabilities)), 4) if both else None,
        "brier": round(float(brier_score_loss(labels, probabilities)), 5),
        "ece": round(expected_calibration_error(labels, probabilities), 4),
        "rate": round(float(labels.mean()), 4) if labels.size else 0.0,
        "predicted_rate": round(float(probabilities.mean()), 4) if labels.size else 0.0,
        "outcomes": int(labels.size),
    }


@dataclass(frozen=True)
class _FoldPlan:
    """What `contributions` needs of one calibration fold's model, whatever the rows: its
    encoding, its estimator, the reference row encoded, and each family's encoded columns."""

    columns: ColumnTransformer
    estimator: object
    encoded_reference: np.ndarray
    family_outputs: tuple[list[int], ...]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """`columns.transform(frame)`, the same numbers, without the column transformer's
        own checks and dispatch (most of its time on a day's rows): the scaling as the scaler
        computes it, then the fitted one-hot encoder."""
        scaler = self.columns.named_transformers_["numeric"]
        encoder = self.columns.named_transformers_["category"]
        numeric = frame[list(NUMERIC_FEATURES)].to_numpy(dtype=float, copy=True)
        numeric -= scaler.mean_
        numeric /= scaler.scale_
        categories = encoder.transform(frame[list(CATEGORICAL_FEATURES)])
        return np.hstack([numeric, np.asarray(categories, dtype=float)])


@dataclass
class NoShowModel:
    """A fitted, calibrated classifier, the reference row its contributions are measured
    from (the training means, the most common service and provider) and its kind."""

    kind: str
    classifier: CalibratedClassifierCV
    reference: dict
    _plans: tuple[_FoldPlan, ...] | None = field(default=None, init=False, repr=False)

    def __getstate__(self) -> dict:
        # The plans are derived from the classifier: stored artifacts stay as they were.
        return {**self.__dict__, "_plans": None}

    def probabilities(self, features: pd.DataFrame) -> np.ndarray:
        return self.classifier.predict_proba(features[list(FEATURE_NAMES)])[:, 1]

    def _fold_plans(self) -> tuple[_FoldPlan, ...]:
        if self._plans is None:
            reference = pd.DataFrame([self.reference])[list(FEATURE_NAMES)]
            plans = []
            for fold in self.classifier.calibrated_classifiers_:
                columns, estimator = fold.estimator[0], fold.estimator[-1]
                names = columns.get_feature_names_out()
                plans.append(
                    _FoldPlan(
                        columns=columns,
                        estimator=estimator,
                        encoded_reference=np.asarray(columns.transform(reference), dtype=float)[0],
                        family_outputs=tuple(
                            [i for i, name in enumerate(names) if _is_output_of(name, inputs)]
                            for inputs in FAMILIES.values()
                        ),
                    )
                )
            self._plans = tuple(plans)
        return self._plans

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per row and family of features (`features.FAMILIES`), how much that family raises
        (positive) or lowers the model's log-odds compared with the reference row."""
        return self.explain(features)[1]

    def explain(self, features: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """The calibrated probabilities (those of `probabilities`) and the contributions, with
        the rows encoded once per calibration fold for both.

        A family's contribution is the uncalibrated log-odds minus those with that family set
        to the reference, averaged over the folds' models. The encoding is per column, so
        each family's encoded columns are swapped for the reference's. A fold's probability is
        its calibrator applied to the same log-odds, and the classifier's is their mean, as
        `CalibratedClassifierCV.predict_proba` computes it."""
        if features.empty:
            return np.zeros(0), pd.DataFrame(columns=list(FAMILIES))
        frame = features[list(FEATURE_NAMES)]
        folds = self.classifier.calibrated_classifiers_
        plans = self._fold_plans()
        probabilities = np.zeros(len(frame))
        total = np.zeros((len(frame), len(FAMILIES)))
        for fold, plan in zip(folds, plans, strict=True):
            encoded = plan.encode(frame)
            raw = plan.estimator.decision_function(encoded)
            probabilities += fold.calibrators[0].predict(raw)
            stacked = np.repeat(encoded[np.newaxis], len(FAMILIES), axis=0)
            for number, outputs in enumerate(plan.family_outputs):
                stacked[number][:, outputs] = plan.encoded_reference[outputs]
            shifted = plan.estimator.decision_function(stacked.reshape(-1, encoded.shape[1]))
            total += (raw - shifted.reshape(len(FAMILIES), len(frame))).T
        contributions = pd.DataFrame(
            total / len(plans), columns=list(FAMILIES), index=features.index
        )
        return probabilities / len(folds), contributions


def _is_output_of(name: str, inputs: tuple[str, ...]) -> bool:
    """Whether an encoded column comes from one of these inputs (a scaled one is named
    `numeric__<column>`, a one-hot one `category__<column>_<value>`)."""
    return any(
        name == f"numeric__{column}" or name.startswith(f"category__{column}_") for column in inputs
    )


def reference_row(features: pd.DataFrame) -> dict:
    row: dict = {column: float(features[column].mean()) for column in NUMERIC_FEATURES}
    for column in CATEGORICAL_FEATURES:
        row[column] = str(features[column].mode().iloc[0])
    return row


def fit(kind: str, features: pd.DataFrame, labels: np.ndarray, *, seed: int = 0) -> NoShowModel:
    classifier = candidate(kind, seed=seed)
    classifier.fit(features[list(FEATURE_NAMES)], np.asarray(labels, dtype=int))
    return NoShowModel(kind=kind, classifier=classifier, reference=reference_row(features))


def choose_and_fit(
    features: pd.DataFrame, labels: np.ndarray, *, seed: int = 0
) -> tuple[NoShowModel, dict[str, dict]]:
    """Fit each candidate on the older part of the (time-ordered) training rows, keep the one
    with the lower Brier score on the newest `VALIDATION_SHARE`, refit it on all rows."""
    labels = np.asarray(labels, dtype=int)
    cut = int(len(features) * (1 - VALIDATION_SHARE))
    validation: dict[str, dict] = {}
    for kind in CANDIDATES:
        model = fit(kind, features.iloc[:cut], labels[:cut], seed=seed)
        validation[kind] = metrics(labels[cut:], model.probabilities(features.iloc[cut:]))
    best = min(CANDIDATES, key=lambda kind: validation[kind]["brier"])
    return fit(best, features, labels, seed=seed), validation


# The cold-start estimate: each service's no-show rate, pulled towards the clinic's (and the
# clinic's towards the published average) by this many outcomes.
PUBLISHED_RATE = 0.2
RATE_PRIOR_WEIGHT = 20.0


def smoothed_rate(missed: float, outcomes: float, prior: float = PUBLISHED_RATE) -> float:
    return (missed + RATE_PRIOR_WEIGHT * prior) / (outcomes + RATE_PRIOR_WEIGHT)


@dataclass(frozen=True)
class BaseRates:
    """The base rate per service (and the clinic's for a service without outcomes)."""

    overall: float
    per_service: dict[str, float]

    @classmethod
    def from_counts(cls, counts: dict[str, tuple[int, int]]) -> BaseRates:
        """`counts`: service -> (missed, outcomes)."""
        missed = sum(value[0] for value in counts.values())
        outcomes = sum(value[1] for value in counts.values())
        overall = smoothed_rate(missed, outcomes)
        return cls(
            overall=overall,
            per_service={
                service: smoothed_rate(k, n, prior=overall) for service, (k, n) in counts.items()
            },
        )

    @classmethod
    def fit(cls, services: pd.Series, labels: np.ndarray) -> BaseRates:
        frame = pd.DataFrame({"service": services.astype(str).to_numpy(), "missed": labels})
        grouped = frame.groupby("service")["missed"].agg(["sum", "size"])
        return cls.from_counts(
            {str(s): (int(row["sum"]), int(row["size"])) for s, row in grouped.iterrows()}
        )

    def probabilities(self, services: pd.Series) -> np.ndarray:
        return np.array([self.per_service.get(str(s), self.overall) for s in services], float)


@dataclass
class Evaluation:
    model: NoShowModel
    metrics: dict
    base_rate_metrics: dict
    base_rates: BaseRates
    validation: dict
    train_rows: int
    test_rows: int
    test_features: pd.DataFrame
    test_labels: np.ndarray


def time_split(starts: pd.Series, test_share: float) -> int:
    """Rows are ordered by their appointment's start; the index of the first held-out row,
    so that every appointment's rows fall on one side."""
    cut = int(len(starts) * (1 - test_share))
    values = starts.to_numpy()
    while 0 < cut < len(values) and values[cut] == values[cut - 1]:
        cut += 1
    return cut


def train_and_evaluate(
    features: pd.DataFrame,
    labels: np.ndarray,
    starts: pd.Series,
    *,
    seed: int = 0,
    test_share: float = 0.25,
) -> Evaluation:
    """Rows ordered by start: train on the older, evaluate on the newest `test_share`."""
    labels = np.asarray(labels, dtype=int)
    cut = time_split(starts, test_share)
    train, test = features.iloc[:cut], features.iloc[cut:]
    model, validation = choose_and_fit(train, labels[:cut], seed=seed)
    base_rates = BaseRates.fit(train["service"], labels[:cut])
    return Evaluation(
        model=model,
        metrics=metrics(labels[cut:], model.probabilities(test)),
        base_rate_metrics=metrics(labels[cut:], base_rates.probabilities(test["service"])),
        base_rates=base_rates,
        validation=validation,
        train_rows=cut,
        test_rows=len(features) - cut,
        test_features=test,
        test_labels=labels[cut:],
    )
