"""Personal data in work orders is masked; governance text is left exactly as it was."""

from __future__ import annotations

import json

import pytest

from zhili.config import BUNDLED_CASES
from zhili.privacy import Span, find_personal, mask

MASKED = [
    # 身份证号: keep first 6 and last 4
    ("身份证110105199001011234，", "身份证110105********1234，"),
    ("身份证号11010519900101123X", "身份证号110105********123X"),
    ("证件号码110105900101123", "证件号码110105*****1123"),
    # 手机号, with country code and separators
    ("电话13812345678", "电话138****5678"),
    ("手机：+86 138-1234-5678", "手机：+86 138-****-5678"),
    ("联系方式86-13912345678", "联系方式86-139****5678"),
    ("号码 138 1234 5678 请回电", "号码 138 **** 5678 请回电"),
    ("（+86）15900001111", "（+86）159****1111"),
    # 座机
    ("座机010-62345567", "座机010-6****567"),
    ("（0571）87654321转123", "（0571）8****321转123"),
    # 银行卡号: keep last 4
    ("卡号6222021234567890", "卡号************7890"),
    ("卡号 6222 0212 3456 7890 123", "卡号 **** **** **** ***0 123"),
    # 邮箱
    ("邮箱zhang.san@example.com。", "邮箱z********@example.com。"),
    # 车牌号
    ("车牌京A·12345停在消防通道", "车牌京A·****5停在消防通道"),
    ("沪AD12345", "沪A*****5"),
    # 护照号 (labelled only)
    ("护照号：E12345678", "护照号：E*****678"),
    # labelled names
    ("姓名：张三，", "姓名：张*，"),
    ("联系人王某某反映楼道堆物", "联系人王**反映楼道堆物"),
    ("来电人张某，男，45岁", "来电人张*，男，45岁"),
    ("投诉人：欧阳娜娜", "投诉人：欧阳**"),
    # addresses: keep the community, mask the house number
    ("住址：北京市朝阳区幸福小区3号楼2单元501室，", "住址：北京市朝阳区幸福小区*号楼*单元***室，"),
    ("家住阳光花园三号楼二单元601室", "家住阳光花园*号楼*单元***室"),
    ("幸福小区5号楼1202室漏水", "幸福小区*号楼****室漏水"),
    ("地址：幸福小区3-2-501，电话", "地址：幸福小区*-*-***，电话"),
    ("住址：幸福路88", "住址：幸福路**"),
    # full-width digits: detected after NFKC, returned in their original form
    ("手机１３８１２３４５６７８", "手机１３８****５６７８"),
    ("身份证１１０１０５１９９００１０１１２３４", "身份证１１０１０５********１２３４"),
]


@pytest.mark.parametrize(("raw", "expected"), MASKED)
def test_personal_data_is_masked(raw: str, expected: str) -> None:
    assert mask(raw) == expected


def test_a_whole_work_order() -> None:
    order = (
        "【工单】来电人李建国，身份证号320102198507163216，手机13912345678，"
        "住址：南京市玄武区梅园新村12栋3单元402室。反映小区电梯停运一个月，物业不修。"
        "邮箱ljg@163.com，车牌苏A·8K2J1。"
    )
    out = mask(order)
    for secret in ("建国", "198507163", "1234", "12栋", "402", "ljg@", "8K2J"):
        assert secret not in out
    assert "梅园新村" in out and "电梯停运一个月" in out and "苏A" in out
    assert [s.kind for s in find_personal(order)] == ["name", "id_card", "phone", "address", "email", "plate"]


@pytest.mark.parametrize(
    "text",
    [
        "2023年共有120户居民参与，投入资金3.5万元，满意度达到98.6%。",
        "依托12345热线“接诉即办”，市民诉求响应率100%。",
        "根据市政府第38号令，设立楼栋联系人制度，联系人和网格员每周走访。",
        "户主大会通过了议事规则；当事人双方签订调解协议书。",
        "2019—2023年累计化解矛盾纠纷1.2万件，受理率、办结率分别为99.5%、97.8%。",
        "来源：http://www.gov.cn/xinwen/2023/0108/14374249.html",
        "https://x.cn/news/BAAFRD000020230719820997.html 发布于 2023-07-19",
        "小区5号楼加装电梯，一楼住户反对。",
        "电话号码12345，服务热线96110、110、119。",
        "联系人王先生来电",  # a title, not a name
        "他住在这里20年了，家住幸福小区",  # a duration after 住在, and an address without a number
        "",
    ],
)
def test_ordinary_governance_text_is_untouched(text: str) -> None:
    assert mask(text) == text
    assert find_personal(text) == []


def _bundled_texts() -> list[str]:
    texts = []
    for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        texts += [case["title"], case["problem"], case["practice"], case["source"]["title"], case["source"]["url"]]
        texts += [o.get("text", "") for o in case["outcomes"]]
    return texts


def test_no_false_positive_in_the_bundled_library() -> None:
    """223 real governance cases: none of their numbers, years or URLs is personal data."""
    texts = _bundled_texts()
    assert len(texts) > 1000
    flagged = [(t, find_personal(t)) for t in texts if find_personal(t)]
    assert flagged == []


@pytest.mark.parametrize("raw", [raw for raw, _ in MASKED] + ["联系人欧阳娜娜说", "姓名：张三丰 联系人李四"])
def test_masking_is_idempotent(raw: str) -> None:
    once = mask(raw)
    assert mask(once) == once


def test_masked_output_has_nothing_left_to_find() -> None:
    for raw, _ in MASKED:
        assert find_personal(mask(raw)) == [], raw


def test_spans_point_into_the_original_text() -> None:
    text = "电话１３８１２３４５６７８，姓名：张三"
    spans = find_personal(text)
    assert spans == [Span("phone", 2, 13), Span("name", 17, 19)]
    assert text[2:13] == "１３８１２３４５６７８"
    assert len(mask(text)) == len(text)


def test_hostile_input_is_handled() -> None:
    huge = "联系人" * 20000 + "13812345678" * 3
    out = mask(huge)
    assert len(out) == len(huge)
    assert mask("<script>alert(1)</script>13812345678") == "<script>alert(1)</script>138****5678"
    assert mask("\x00\u200b13812345678\ufeff") == "\x00\u200b138****5678\ufeff"


def test_invisible_characters_do_not_hide_personal_data() -> None:
    """Zero-width spaces or control bytes between digits (web forms, copy-paste) are looked through."""
    assert mask("电话138\u200b1234\u200b5678") == "电话138\u200b****\u200b5678"
    assert mask("手机138\x001234\x0b5678，") == "手机138\x00****\x0b5678，"
    assert mask("电话\u00a0138\u00a01234\u00a05678") == "电话\u00a0138\u00a0****\u00a05678"
