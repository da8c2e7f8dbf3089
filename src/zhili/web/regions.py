"""Provincial-level divisions in the official (GB/T 2260) order, as the library spells them.

A cadre looks for their province where the national order puts it, not in Unicode order.
"""

from __future__ import annotations

from collections.abc import Iterable

PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
             "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川",
             "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾")
_ORDER = {p: i for i, p in enumerate(PROVINCES)}


def ordered(found: Iterable[str]) -> list[str]:
    """Distinct non-empty names, official order first, anything else after in name order."""
    names = {p for p in found if p}
    return sorted(names, key=lambda p: (_ORDER.get(p, len(_ORDER)), p))
