"""Writes health-sample.xlsx and capability-sample.xlsx: SAMPLE DATA, not real organisations or people.

Four quarters of a few made-up units whose histories trigger each warning kind once — a red
line, a drop, a decline over consecutive periods — next to a stable unit that triggers none.
Run: PYTHONPATH=src python examples/assessments/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

from zhili.assess import Record, load_pack
from zhili.assess.sheets import write_template

HERE = Path(__file__).parent
PERIODS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
NOTE = "样例数据：单位、人员和数值均为虚构，仅用于演示，不代表任何真实组织或个人。"


def history(base: dict[str, float], changes: dict[str, dict[str, float]]) -> list[dict[str, float]]:
    """Values per period: the baseline, with each period's changes carried forward."""
    out, current = [], dict(base)
    for p in PERIODS:
        current = {**current, **changes.get(p, {})}
        out.append(dict(current))
    return out


def health() -> list[Record]:
    pack = load_pack("health")
    units = {
        ("S01", "示例第一社区党委（样例）", "示例区甲街道"): {},  # stable: no warnings
        ("S02", "示例第二社区党支部（样例）", "示例区甲街道"): {"2025Q1": {"H10": 65}, "2025Q4": {"H10": 58}},  # red line
        ("S03", "示例第三村党支部（样例）", "示例区乙镇"): {"2025Q4": {"H03": 60, "H04": 0}},  # drop
        ("S04", "示例第四村党支部（样例）", "示例区乙镇"): {  # decline over consecutive periods
            "2025Q2": {"H01": 90, "H09": 90}, "2025Q3": {"H01": 80, "H09": 80, "H11": 90},
            "2025Q4": {"H11": 80, "H07": 90}},
    }
    return [Record(u, p, v, name, region) for (u, name, region), ch in units.items()
            for p, v in zip(PERIODS, history(pack.baseline, ch))]


def capability() -> list[Record]:
    pack = load_pack("capability")
    people = {
        ("P01", "示例干部甲（样例）", "示例区甲街道", "社区党组织书记"): {},  # stable
        ("P02", "示例干部乙（样例）", "示例区甲街道", "网格员"): {"2025Q1": {"C02": 62}, "2025Q4": {"C02": 58}},
        ("P03", "示例干部丙（样例）", "示例区乙镇", "村党组织书记"): {"2025Q4": {"C07": 55, "C08": 50}},
        ("P04", "示例干部丁（样例）", "示例区乙镇", "社区工作者"): {
            "2025Q2": {"C05": 84}, "2025Q3": {"C05": 76}, "2025Q4": {"C05": 68}},
    }
    return [Record(u, p, v, name, region, post) for (u, name, region, post), ch in people.items()
            for p, v in zip(PERIODS, history(pack.baseline, ch))]


def main() -> None:
    for name, records in (("health", health()), ("capability", capability())):
        path = HERE / f"{name}-sample.xlsx"
        path.write_bytes(write_template(load_pack(name), records, note=NOTE))
        print(path, len(records), "rows")


if __name__ == "__main__":
    main()
