"""The verdict's parts on fixed inputs: each no-fit signal, the fit model, the off-topic rule,
the empty-filter message and the 匹配度 calibration (zhili.verdict). Nothing is embedded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhili.verdict import signals as sig
from zhili.verdict.judge import (
    OFF_TOPIC_MESSAGE, Assessment, Judge, empty_message, fit_probability, has_chinese, keyword_rows,
)
from zhili.verdict.match import HIGH, MEDIUM, case_features, explain, level_of, match_of, relevance
from zhili.verdict.terms import KeyTerms, load_boilerplate
from zhili.verdict.topics import TopicLexicon, dominant


@pytest.fixture(scope="module")
def topics() -> TopicLexicon:
    return TopicLexicon.load()


# ------------------------------------------------------------------------------ signals
def test_dense_lead_is_top_minus_median_in_units_of_005():
    d = np.array([0.90, 0.85, 0.80, 0.84, 0.86], dtype=np.float32)
    assert sig.dense_lead(d) == pytest.approx((0.90 - 0.85) / 0.05, abs=1e-5)
    assert sig.dense_lead(d, median=0.80) == pytest.approx(2.0, abs=1e-5)  # the backend's median wins
    assert sig.dense_lead(d, median=float("nan")) == pytest.approx(1.0, abs=1e-5)
    assert sig.dense_lead(np.array([], dtype=np.float32)) == 0.0


def test_bm25_top_is_log_scaled_to_one_at_20():
    assert sig.bm25_top(np.array([0.0, 20.0])) == pytest.approx(1.0)
    assert sig.bm25_top(np.array([0.0, 3.0])) == pytest.approx(math.log(4) / math.log(21))
    assert sig.bm25_top(np.zeros(5)) == 0.0 and sig.bm25_top(np.array([])) == 0.0


def test_agreement_is_the_overlap_of_the_two_top_tens():
    s = np.arange(20, dtype=float)
    assert sig.agreement(s, s.copy()) == 1.0
    assert sig.agreement(s, -s) == 0.0  # opposite orders: top 10 vs bottom 10
    half = np.r_[s[:5], s[5:] + 100]  # dense prefers items 5..19
    assert sig.agreement(s, half) == pytest.approx(1.0)  # both top 10 are items 10..19
    assert sig.agreement(np.array([1.0, 2.0]), np.array([2.0, 1.0])) == 1.0  # k capped at n


def test_rule_confidence_is_the_strongest_domain_weight():
    assert sig.rule_confidence({"物业管理": 1.8, "停车治理": 0.6}) == 1.8
    assert sig.rule_confidence({}) == 0.0


def test_key_coverage_weighs_the_terms_found_in_the_top_cases():
    weights = {"噪音": 3.0, "施工": 1.0, "夜间": 1.0}
    assert sig.key_coverage(weights, ["社区夜间巡逻", "工地施工管理"]) == pytest.approx(2 / 5)
    assert sig.key_coverage(weights, ["噪音扰民"]) == pytest.approx(3 / 5)
    assert sig.key_coverage({"噪音": 3.0}, ["噪音"]) is None  # one word says little
    assert sig.key_coverage({}, ["x"]) is None


def test_topic_coverage_averages_over_the_top_cases():
    query = {"噪声扰民": 4, "建筑施工": 2, "物业服务": 1}  # 物业 is below 20 %: not a main topic
    cases = [{"噪声扰民"}, {"建筑施工", "物业服务"}, set(), {"噪声扰民", "建筑施工"}]
    # per case: 3/5, 2/5, 0, 5/5 (weights capped at 3: 噪声 3, 施工 2)
    assert sig.topic_coverage(query, cases) == pytest.approx((3 / 5 + 2 / 5 + 0 + 1) / 4)
    assert sig.topic_coverage({}, cases) is None
    assert sig.topic_coverage(query, []) == 0.0


def test_problem_similarity_is_the_mean_cosine_with_the_top_three_cases():
    text = "小区路灯坏了三个月没人修"
    assert sig.problem_similarity([0.9, 0.87, 0.84, 0.2], text) == pytest.approx(0.87)  # the 4th is ignored
    assert sig.problem_similarity([0.91], text) == pytest.approx(0.91)
    assert sig.problem_similarity([], text) is None and sig.problem_similarity(None, text) is None
    # a few words name a topic or a method, not a problem: left out (the model's neutral value)
    assert sig.problem_similarity([0.86], "积分制") is None
    assert sig.problem_similarity([0.86], "彩虹 议事厅 ok") is None  # 5 Chinese characters
    assert sig.problem_similarity([0.86], "路灯不亮怎么办啊") == pytest.approx(0.86)  # 8
    assert "problem_similarity" in sig.SIGNAL_LABELS


def test_compute_reports_problem_similarity_only_when_given():
    common = dict(text="噪音扰民一年多没人管", sparse=np.array([5.0, 1.0]), dense=None, dense_median=None, top_docs=[],
                  top_topics=[], domain_weights=None, evidence=2, key_terms=KeyTerms(), query_topics={})
    assert "problem_similarity" not in sig.compute(**common)
    assert sig.compute(**common, problem_sims=[0.9, 0.8, 0.85])["problem_similarity"] == 0.85


def test_another_embedders_cosines_are_left_out_but_its_ranks_count():
    """`dense_scale` False: an embedder the fit model was not fitted with. Its cosines lie on
    another scale — read with the shipped weights, a cosine of 0.55 (plausible for another model,
    below anything e5-small gives) would sink every answer to no fit — so they take the neutral
    values; the agreement of the two methods' top 10 is a matter of ranks and stays."""
    from zhili.config import FIT_NEUTRAL, FIT_WEIGHTS

    common = dict(text="噪音扰民一年多没人管", sparse=np.array([5.0, 1.0, 0.5]), dense=np.array([0.56, 0.5, 0.48]),
                  dense_median=None, top_docs=[], top_topics=[], domain_weights=None, evidence=2,
                  key_terms=KeyTerms(), query_topics={}, problem_sims=[0.55, 0.55, 0.55])
    same = sig.compute(**common)
    other = sig.compute(**common, dense_scale=False)
    assert {"dense_lead", "problem_similarity", "agreement"} <= set(same)
    assert set(sig.COSINE_SIGNALS) & set(other) == set() and other["agreement"] == same["agreement"]
    assert fit_probability(same, FIT_WEIGHTS, FIT_NEUTRAL) < 0.05  # what the rule prevents
    assert fit_probability(other, FIT_WEIGHTS, FIT_NEUTRAL) > fit_probability(same, FIT_WEIGHTS, FIT_NEUTRAL) * 10


def test_compute_leaves_out_what_cannot_be_computed():
    sparse = np.array([5.0, 1.0, 0.0])
    out = sig.compute(text="噪音 扰民", sparse=sparse, dense=None, dense_median=None, top_docs=[],
                      top_topics=[], domain_weights=None, evidence=2, key_terms=KeyTerms(),
                      query_topics={})
    assert set(out) == {"bm25_top", "key_coverage", "governance_terms"}  # no dense, no rules, no topic
    assert out["key_coverage"] == 0.0 and out["governance_terms"] == 2.0


# ------------------------------------------------------------------------------ word lists
def test_topics_match_longest_keyword_first(topics):
    counts = topics.count("老旧小区加装电梯，电梯 经常困人")
    assert counts["加装电梯"] == 1 and counts["电梯运行"] == 2 and counts["老旧小区改造"] == 1
    assert topics.count("今天天气不错") == {}
    assert topics.keywords("油烟和噪音，噪音") == ["油烟", "噪音"]


def test_dominant_keeps_topics_with_a_fifth_of_the_keywords():
    assert dominant({"a": 6, "b": 2, "c": 1, "d": 1}, 0.2) == {"a", "b"}
    assert dominant({t: 1 for t in "abcdefg"}, 0.2) == set("abcdefg")  # all tied: the top ones
    assert dominant({}, 0.2) == set()


def test_key_terms_skip_boilerplate_and_names_and_favour_rare_words():
    kt = KeyTerms(load_boilerplate())
    w = kt.weights("尊敬的领导您好，白霞村梦之旅ktv噪音扰民，噪音严重影响居民生活，恳请解决")
    assert "噪音" in w and "扰民" in w
    assert not {"领导", "解决", "影响", "居民", "生活", "白霞"} & set(w)
    assert w["噪音"] > w.get("扰民", 0) or w["噪音"] == max(w.values())  # used twice
    assert list(w) == sorted(w, key=lambda t: -w[t])


# ------------------------------------------------------------------------------ fit model
def test_fit_probability_is_logistic_with_neutral_values_for_missing_signals():
    weights = {"intercept": -1.0, "a": 2.0, "b": 1.0}
    assert fit_probability({"a": 1.0, "b": 0.0}, weights, {}) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert fit_probability({"a": 1.0}, weights, {"b": 3.0}) == pytest.approx(1 / (1 + math.exp(-4.0)))
    assert fit_probability({}, {"intercept": 0.0}, {}) == 0.5


def test_off_topic_needs_no_chinese_or_no_governance_word_and_no_fit():
    def judged(evidence, score, chinese=True):
        return Assessment(signals={}, fit_score=score, evidence=evidence, chinese=chinese)

    assert judged([], 0.1).off_topic(0.5)
    assert not judged([], 0.9).off_topic(0.5)  # a fit backs the text even without known words
    assert not judged(["物业"], 0.1).off_topic(0.5)  # governance words: a real (if unmatched) problem
    assert judged(["规则:群众诉求办理-1"], 0.9, chinese=False).off_topic(0.5)  # "asdfgh 12345"
    assert judged([], 0.9).off_topic(0.5, empty=True)
    assert not has_chinese("asdfgh qwerty 12345") and has_chinese("12345热线打不通")


def test_evidence_collects_lexicon_topic_address_words_and_rule_rows(topics):
    judge = Judge(lambda t: t, frozenset({"我们"}), topics=topics, key_terms=KeyTerms())
    ev = judge.evidence("我们小区的路灯坏了找城管", ["我们", "小区"], ["物业管理-2"])
    assert ev == ["小区", "路灯", "城管", "规则:物业管理-2"]
    assert judge.evidence("楼道堆杂物", []) == ["楼道"]
    assert judge.evidence("今天天气不错我想吃火锅", []) == []


def test_keyword_rows_ignore_the_row_that_echoes_matching_scores():
    trace = [
        {"target": "domain_tags", "row_id": "停车治理-1", "inputs": [{"field": "focus_text"}]},
        {"target": "domain_tags", "row_id": "检索佐证", "inputs": [{"field": "domain_scores"}]},
        {"target": "routing", "row_id": "r1", "inputs": [{"field": "text"}]},
    ]
    assert keyword_rows(trace) == ["停车治理-1"]


def test_empty_message_names_the_filters_and_suggests_dropping_them():
    msg = empty_message({"province": ["西藏"], "domain": ["加装电梯"], "year_from": 2020})
    assert "地区：西藏" in msg and "领域：加装电梯" in msg and "年份：2020 年及以后" in msg
    assert "去掉" in msg and "以下为最接近" not in msg
    assert "不属于基层治理问题" in OFF_TOPIC_MESSAGE


# ------------------------------------------------------------------------------ 匹配度
def test_case_features_read_scores_on_absolute_scales():
    f = case_features(1.2, dense=0.90, dense_median=0.85, bm25=20.0)
    assert f == pytest.approx({"score": 1.2, "dense": 1.0, "bm25": 1.0})
    assert "dense" not in case_features(1.0, dense=None, dense_median=None, bm25=0.0)


def test_percent_is_fit_score_times_calibrated_relevance():
    weights, neutral = {"intercept": -2.0, "score": 2.0, "dense": 1.0, "bm25": 0.0}, {"dense": 0.5}
    m = match_of(score=1.5, dense=0.90, dense_median=0.85, bm25=10.0, bm25_best=10.0, fit_score=0.8,
                 rules=False, no_fit=False, weights=weights, neutral=neutral)
    p = 0.8 / (1 + math.exp(-(-2.0 + 3.0 + 1.0)))
    assert m.percent == round(100 * p) and m.level == level_of(m.percent)
    no_dense = match_of(score=1.5, dense=None, dense_median=None, bm25=10.0, bm25_best=10.0, fit_score=0.8,
                        rules=False, no_fit=False, weights=weights, neutral=neutral)
    assert no_dense.percent == round(100 * 0.8 / (1 + math.exp(-(-2.0 + 3.0 + 0.5))))  # neutral dense
    certain = match_of(score=9, dense=None, dense_median=None, bm25=1, bm25_best=1, fit_score=1.0,
                       rules=False, no_fit=False, weights=weights, neutral=neutral)
    assert certain.percent == 99  # never shown as certain


def test_levels_are_fixed_cut_offs():
    assert (HIGH, MEDIUM) == (60, 30)
    assert [level_of(p) for p in (99, 60, 59, 30, 29, 0)] == ["高", "高", "中", "中", "低", "低"]


def test_relevance_is_monotone_in_each_score():
    w = {"intercept": -8.0, "score": 6.0, "dense": 2.0, "bm25": 1.5}
    base = {"score": 1.0, "dense": 0.5, "bm25": 0.5}
    for name in ("score", "dense", "bm25"):
        assert relevance({**base, name: base[name] + 0.3}, w, {}) > relevance(base, w, {})


def test_explanation_is_one_plain_sentence():
    s = explain(bm25_share=0.9, dense_lead=1.0, rules=True, no_fit=False)
    assert s == "问题用词与案例高度重合，语义也相近，且属于规则研判的问题领域。"
    assert explain(bm25_share=0.1, dense_lead=0.9, rules=False, no_fit=False) == "问题用词与案例重合不多，但语义相近。"
    weak = explain(bm25_share=0.5, dense_lead=0.2, rules=False, no_fit=True)
    assert weak.startswith("库中没有与本问题高度相符的案例") and weak.count("。") == 1
    assert explain(bm25_share=0.5, dense_lead=None, rules=False, no_fit=False) == "问题用词与案例部分重合。"
