"""Built-in evaluation: load a benchmark folder, run the engine, score it with ir_measures."""

from .dataset import EvalFormatError, EvalQuery, EvalSet, Qrels, load_eval_dir
from .metrics import (
    DEFAULT_MEASURES, LECARD_MEASURES, MatchCalibration, NoFitSeparation, RetrievalMetrics, Run,
    evaluate, match_calibration, no_fit_separation, ranking_from_scores, roc_auc,
)
from .runner import EvalReport, Recommender, candidate_sets, measures_for, report, run_engine

__all__ = [
    "DEFAULT_MEASURES", "LECARD_MEASURES", "EvalFormatError", "EvalQuery", "EvalReport",
    "EvalSet", "MatchCalibration", "NoFitSeparation", "Qrels", "Recommender", "RetrievalMetrics", "Run",
    "candidate_sets", "evaluate", "load_eval_dir", "match_calibration", "measures_for", "no_fit_separation",
    "ranking_from_scores", "report", "roc_auc", "run_engine",
]
