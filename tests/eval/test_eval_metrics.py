"""Metrics agree with values computed by hand from the definitions."""

from __future__ import annotations

from math import log2

import pytest

from zhili.eval import (
    LECARD_MEASURES, evaluate, no_fit_separation, ranking_from_scores, roc_auc,
)

QRELS = {
    "q1": {"d1": 3, "d2": 2, "d3": 1, "d4": 0},
    "q2": {"e1": 2, "e2": 3},
    "q3": {"f1": 1, "f2": 0},  # no-fit: nothing graded ≥ 2
}
RUN = {
    "q1": ["d3", "d1", "dx", "d2", "d4"],  # dx unjudged
    "q2": ["e9", "e8", "e1"],  # e9, e8 unjudged; e2 never retrieved
    "q3": ["f1", "zz"],
}

# By hand. q1: gains 1,3,0,2,0 at ranks 1..5; ideal 3,2,1.
Q1_NDCG = (1 / log2(2) + 3 / log2(3) + 2 / log2(5)) / (3 / log2(2) + 2 / log2(3) + 1 / log2(4))
# q2: gain 2 at rank 3; ideal 3,2.
Q2_NDCG = (2 / log2(4)) / (3 / log2(2) + 2 / log2(3))


def test_hand_computed_two_queries() -> None:
    m = evaluate(RUN, QRELS, groups={"q1": "plain", "q2": "colloquial", "q3": "plain"})
    assert m.excluded == ["q3"]
    assert set(m.per_query) == {"q1", "q2"}
    assert m.per_query["q1"]["ndcg@10"] == pytest.approx(Q1_NDCG)  # ≈ 0.7884
    assert m.per_query["q2"]["ndcg@10"] == pytest.approx(Q2_NDCG)  # ≈ 0.2346
    assert m.per_query["q1"]["recall@10"] == pytest.approx(1.0)  # d1, d2 both in top 10
    assert m.per_query["q2"]["recall@10"] == pytest.approx(0.5)  # e1 yes, e2 no
    assert m.per_query["q1"]["mrr"] == pytest.approx(1 / 2)  # d3 (grade 1) does not count
    assert m.per_query["q2"]["mrr"] == pytest.approx(1 / 3)
    assert m.overall["ndcg@10"] == pytest.approx((Q1_NDCG + Q2_NDCG) / 2)
    assert m.overall["ndcg@30"] == pytest.approx((Q1_NDCG + Q2_NDCG) / 2)
    assert m.overall["recall@10"] == pytest.approx(0.75)
    assert m.overall["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert m.by_group["plain"]["ndcg@10"] == pytest.approx(Q1_NDCG)  # q3 is excluded
    assert m.group_sizes == {"colloquial": 1, "plain": 1}


def test_cutoff_matters() -> None:
    run = {"q1": [f"x{i}" for i in range(10)] + ["d1"]}  # the only grade-3 doc at rank 11
    m = evaluate(run, {"q1": QRELS["q1"]})
    assert m.overall["ndcg@10"] == 0.0 and m.overall["recall@10"] == 0.0
    assert m.overall["ndcg@30"] == pytest.approx((3 / log2(12)) / (3 + 2 / log2(3) + 1 / 2))
    assert m.overall["mrr"] == pytest.approx(1 / 11)


def test_unjudged_share_of_top10() -> None:
    m = evaluate(RUN, QRELS)
    assert m.unjudged_per_query == pytest.approx({"q1": 1 / 5, "q2": 2 / 3, "q3": 1 / 2})
    assert m.unjudged_at_10 == pytest.approx((1 / 5 + 2 / 3 + 1 / 2) / 3)
    long = {"q1": ["d1", "d2", "d3", "d4"] + [f"u{i}" for i in range(20)]}
    assert evaluate(long, QRELS, query_ids=["q1"]).unjudged_at_10 == pytest.approx(6 / 10)


def test_missing_query_scores_zero_not_skipped() -> None:
    m = evaluate({"q1": RUN["q1"]}, QRELS)
    assert m.per_query["q2"] == {"ndcg@10": 0.0, "ndcg@30": 0.0, "recall@10": 0.0, "mrr": 0.0}
    assert m.overall["ndcg@10"] == pytest.approx(Q1_NDCG / 2)


def test_rank_order_not_doc_id_breaks_ties() -> None:
    # d4 (grade 0) ranked above d1: must score as ranked, whatever the ids sort like.
    m = evaluate({"q1": ["d4", "d1"]}, {"q1": QRELS["q1"]})
    assert m.overall["mrr"] == pytest.approx(1 / 2)
    assert ranking_from_scores({"q": {"b": 1.0, "a": 1.0, "c": 2.0}}) == {"q": ["c", "a", "b"]}


def test_lecard_measures_count_only_grade_3() -> None:
    m = evaluate({"q1": ["d2", "d1", "d3"]}, {"q1": QRELS["q1"]}, measures=LECARD_MEASURES)
    assert m.overall["p@5"] == pytest.approx(1 / 5)  # only d1 is grade 3
    assert m.overall["map"] == pytest.approx(1 / 2)  # d1 at rank 2
    assert m.overall["ndcg@20"] == pytest.approx(
        (2 + 3 / log2(3) + 1 / 2) / (3 + 2 / log2(3) + 1 / 2))


def test_roc_auc_toy() -> None:
    # pairs (fit, no-fit): 0.9>0.4, 0.9>0.3, 0.5>0.4, 0.5>0.3, 0.3<0.4, 0.3=0.3 → 4.5 / 6
    assert roc_auc([0.9, 0.5, 0.3], [0.4, 0.3]) == pytest.approx(0.75)
    assert roc_auc([1.0], [0.0]) == 1.0 and roc_auc([0.0], [1.0]) == 0.0
    assert roc_auc([1.0], []) is None


def test_roc_auc_matches_mann_whitney() -> None:
    stats = pytest.importorskip("scipy.stats")
    fit, no_fit = [0.9, 0.5, 0.3, 0.7, 0.7], [0.4, 0.3, 0.7]
    u = stats.mannwhitneyu(fit, no_fit).statistic
    assert roc_auc(fit, no_fit) == pytest.approx(u / (len(fit) * len(no_fit)))


def test_no_fit_separation() -> None:
    qrels = {"a": {"x": 3}, "b": {"x": 2}, "c": {"x": 1}, "d": {}, "e": {"x": 2}}
    scores = {"a": 0.9, "b": 0.5, "e": 0.3, "c": 0.4, "d": 0.3}  # c, d are no-fit
    flags = {"a": True, "b": False, "c": True, "d": False, "e": False}
    s = no_fit_separation(qrels, scores, flags)
    assert (s.n_fit, s.n_no_fit, s.flagged) == (3, 2, 2)
    assert s.auc == pytest.approx(0.75)
    assert s.precision == pytest.approx(1 / 2)  # flagged a (wrong), c (right)
    assert s.recall == pytest.approx(1 / 2)  # found c, missed d
    assert s.accuracy == pytest.approx(3 / 5)  # b, c, e right
    none_flagged = no_fit_separation(qrels, scores, dict.fromkeys(flags, False))
    assert none_flagged.precision is None and none_flagged.recall == 0.0


def test_no_fit_rejects_nan_scores() -> None:
    with pytest.raises(ValueError, match="fit_score"):
        no_fit_separation({"a": {"x": 3}}, {"a": float("nan")}, {"a": False})


def test_match_calibration_per_level() -> None:
    from zhili.eval import match_calibration

    qrels = {"a": {"x": 3, "y": 1}, "b": {"z": 2}, "c": {"w": 0}}  # c: no case fits
    percents = {"a": [("x", 90), ("y", 70), ("u", 40), ("v", 10)], "b": [("z", 50), ("x", None)],
                "c": [("w", 20)]}
    cal = match_calibration(qrels, percents, depth=3)
    assert cal.n == 5  # top 3 of a, the scored one of b, the one of c
    by = {row["level"]: row for row in cal.levels}
    assert by["高"] == {"level": "高", "n": 2, "mean_percent": 80.0, "relevant": 0.5}
    assert by["中"]["n"] == 2 and by["中"]["relevant"] == 0.5  # u unjudged (0), z graded 2
    assert by["低"] == {"level": "低", "n": 1, "mean_percent": 20.0, "relevant": 0.0}
    expected = ((0.9 - 1) ** 2 + 0.7 ** 2 + 0.4 ** 2 + (0.5 - 1) ** 2 + 0.2 ** 2) / 5
    assert cal.brier == pytest.approx(expected)
    assert match_calibration(qrels, {}).n == 0 and match_calibration(qrels, {}).brier is None
