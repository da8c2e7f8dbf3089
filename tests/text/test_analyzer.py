"""Text analysis: t2s, synonyms, lexicon, stopwords and the word-list files."""

from pathlib import Path

import pytest

from zhili.text import Analyzer
from zhili.text.wordlists import WordListError, WordLists, load_synonyms


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_traditional_is_converted_to_simplified(analyzer):
    a = analyzer.analyze("業委會成立後，裝電梯的事情誰來管")
    assert "业委会" in a.tokens
    assert "加装电梯" in a.tokens


def test_colloquial_variants_map_to_canonical_terms(analyzer):
    a = analyzer.analyze("俺们小区物业跑路了，咋整")
    assert "无物业小区" in a.lexicon_hits
    assert "俺们" not in a.tokens and "咋整" not in a.text


def test_canonical_text_is_not_expanded_twice(analyzer):
    assert analyzer.normalize("加装电梯").strip() == "加装电梯"
    assert analyzer.normalize("外卖骑手").count("骑手") == 1


def test_full_width_and_english_letters(analyzer):
    a = analyzer.analyze("ＡＰＰ上报问题")
    assert "app" in a.tokens and "数字平台" in a.tokens


def test_stopwords_are_dropped(analyzer):
    assert not {"的", "怎么办", "我们"} & set(analyzer.analyze("我们的小区怎么办").tokens)


def test_library_terms_stay_whole():
    a = Analyzer(extra_terms=("党群夜话",))
    assert "党群夜话" in a.analyze("开展党群夜话").tokens


def test_bad_synonym_line_names_file_and_line(tmp_path: Path):
    f = tmp_path / "synonyms.tsv"
    f.write_text("# 注释\n装电梯\t加装电梯\n只有一列\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"synonyms.tsv:3"):
        load_synonyms(f)


def test_missing_or_non_utf8_word_list_is_reported(tmp_path: Path):
    with pytest.raises(WordListError, match="缺少词表文件"):
        WordLists.load(tmp_path)
    for name in ("lexicon.txt", "synonyms.tsv", "stopwords.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "lexicon.txt").write_bytes("业委会".encode("gbk"))
    with pytest.raises(WordListError, match="UTF-8"):
        WordLists.load(tmp_path)


def test_typo_fix_completes_a_colloquial_phrase(analyzer):
    """物叶 (typo) → 物业, then 物业不管事 → 物业服务 in the second pass."""
    assert "物业服务" in analyzer.analyze("物叶不管事").tokens


def test_second_pass_never_re_expands(analyzer):
    assert analyzer.normalize("APP上报").count("数字平台") == 1
    assert analyzer.normalize("物业跑路").count("物业撤场") == 1
