"""The slot-scoring engine: pure Python + numpy, no Django (a test asserts it).

`recommend(candidates, context, weights=..., ranker=...)` ranks bookable slots; the selectors
build the plain inputs from the database.
"""

from recommendations.engine.features import (
    BUSINESS_FEATURES,
    CLIENT_FEATURES,
    FEATURE_NAMES,
    CandidateColumns,
    FeatureContext,
    feature_matrix,
)
from recommendations.engine.scoring import (
    DEFAULT_WEIGHTS,
    ExploringRanker,
    Ranker,
    RulesRanker,
    ScoredCandidates,
    SklearnRanker,
    load_ranker,
    recommend,
    save_artifact,
    score_candidates,
)
from recommendations.engine.types import (
    CandidateSlot,
    ClientHistory,
    PastAppointment,
    PopulationPatterns,
    ProviderContext,
    RecommendationRequest,
    ScoredSlot,
    StatedPreferences,
    TimeRange,
)

__all__ = [
    "BUSINESS_FEATURES",
    "CLIENT_FEATURES",
    "DEFAULT_WEIGHTS",
    "ExploringRanker",
    "FEATURE_NAMES",
    "CandidateColumns",
    "CandidateSlot",
    "ClientHistory",
    "FeatureContext",
    "PastAppointment",
    "PopulationPatterns",
    "ProviderContext",
    "Ranker",
    "RecommendationRequest",
    "RulesRanker",
    "ScoredCandidates",
    "ScoredSlot",
    "SklearnRanker",
    "StatedPreferences",
    "TimeRange",
    "feature_matrix",
    "load_ranker",
    "recommend",
    "save_artifact",
    "score_candidates",
]
