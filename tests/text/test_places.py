"""Addresses and place names in a problem text: found, kept out of the keywords, topics kept."""

import pytest

from zhili.gazetteer import province_of
from zhili.text import Analyzer
from zhili.text.places import place_spans, without_places


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def spans(analyzer: Analyzer, text: str) -> list[str]:
    t = analyzer.normalize(text)
    return [t[s:e] for s, e in place_spans(t, analyzer.lexicon_hits(t))]


@pytest.mark.parametrize("text, expected", [
    ("A1区荷花园街道华城广场楼下修地铁，晚上也不停", ["a1区荷花园街道华城广场"]),
    ("我是A市A2区友谊路958号克拉美丽山庄小区的一名业主（小区属于A2区豹子岭社区）",
     ["a市a2区友谊路958号克拉美丽山庄小区", "a2区豹子岭社区"]),
    ("德雅路国防科大南门外开了夜宵摊", ["德雅路"]),
    ("J1区涌泉街道七里洞四组频繁停水", ["j1区涌泉街道"]),
    ("I3县南洲镇鑫顺广场A栋一楼开了一家火锅店", ["i3县南洲镇鑫顺广场a栋"]),
    ("松雅小区马路市场的问题，商贩占道经营", ["松雅小区"]),  # 马路市场 is the topic
])
def test_addresses_of_real_messages_are_found(analyzer, text, expected):
    assert spans(analyzer, text) == expected


@pytest.mark.parametrize("text", [
    "老旧小区加装电梯，广场舞噪音扰民",
    "小区广场舞音响太大",
    "小区物业不作为，城中村改造",
    "居民小区停车难",
    "农村社区养老服务站建设",
    "马路市场占道经营，临街商铺噪音",
])
def test_topics_that_look_like_places_are_kept(analyzer, text):
    assert spans(analyzer, text) == []


def test_real_region_names_stay(analyzer):
    text = "成都市武侯区玉林街道老旧小区加装电梯"
    assert spans(analyzer, text) == []
    assert province_of(analyzer.analyze(text).text) == "四川"


def test_analysis_keywords_leave_the_address_out(analyzer):
    a = analyzer.analyze("A1区荷花园街道华城广场楼下修地铁，白天晚上都不停，太吵了")
    assert "广场" not in a.tokens and "华城" not in a.tokens
    assert "地铁" in a.tokens
    assert a.places == ["a1区荷花园街道华城广场"]
    assert "华城广场" in a.text and "华城广场" not in a.content  # rules and explanation read all
    dance = analyzer.analyze("A1区华城广场的广场舞音响太吵")
    assert "广场" in dance.tokens and "舞" in dance.tokens and "华城" not in dance.tokens


def test_a_text_that_is_only_a_place_keeps_it(analyzer):
    a = analyzer.analyze("华城广场")
    assert a.tokens and a.places == [] and a.content == a.text


def test_without_places_leaves_a_gap_or_the_setting():
    assert without_places("甲乙丙丁", [(1, 3)]) == "甲 丁"
    assert without_places("甲乙", []) == "甲乙"
    a = Analyzer().analyze("我是A7县安沙镇水塘垸村祠堂巷组村民，我组露天焚烧垃圾")
    assert "水塘" not in a.tokens and "村" in a.content  # the setting (a village) stays
