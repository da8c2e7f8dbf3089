"""Coverage tables of a case library: by domain, province, level and source trust, plus the
issue's targets (≥ 1,000 cases; every domain ≥ 15; ≥ 150 from 四川; ≥ 25 provinces; ≥ 20 cases for
each kind of problem real messages raise most).

    python benchmarks/library_coverage.py                       # the bundled library
    python benchmarks/library_coverage.py a.jsonl b.jsonl ...   # any case files together (e.g. the
                                                                # bundled file + /work/growth/*.jsonl)

The message kinds are counted by keywords over title + problem + practice (a case may count for
several kinds): a screening number for where to look, not a judgment.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhili.cases.errors import CaseFileError  # noqa: E402
from zhili.cases.io import read_cases  # noqa: E402
from zhili.cases.model import DOMAINS, Case, stored_case  # noqa: E402
from zhili.cases.stats import library_stats  # noqa: E402
from zhili.config import BUNDLED_CASES  # noqa: E402

KINDS: dict[str, tuple[str, ...]] = {
    "噪声（广场舞、施工、商业喇叭）": ("噪声", "噪音", "广场舞", "扰民", "喇叭"),
    "油烟与夜市、烧烤摊": ("油烟", "夜市", "夜宵", "烧烤", "排烟"),
    "犬只与宠物": ("犬", "养狗", "遛狗", "宠物"),
    "占道经营与流动摊贩": ("占道", "摊贩", "摆摊", "流动摊"),
    "违法建设": ("违建", "违法建设", "违章建筑", "违章搭建", "私搭乱建"),
    "物业职责（电梯维保、门禁、消防通道、公共收益）": ("电梯维保", "维保", "门禁", "消防通道", "公共收益", "物业费"),
    "农村饮水与环境卫生": ("饮水", "自来水", "供水", "改厕", "污水", "人居环境"),
    "畜禽养殖污染": ("养殖", "养猪", "畜禽", "粪污"),
    "安置房延期交付": ("安置房", "回迁", "延期交付", "过渡费"),
}
TARGETS = {"total": 1000, "per_domain": 15, "sichuan": 150, "provinces": 25, "per_kind": 20}


def _table(title: str, counts: dict[str, int], total: int, floor: int | None = None) -> None:
    print(f"\n{title}")
    for key, n in counts.items():
        mark = "  < 目标" if floor is not None and n < floor else ""
        print(f"  {key:<24} {n:>5}  {n / total:6.1%}{mark}" if total else f"  {key} {n}")


def _read(path: Path) -> list[Case]:
    """Strictly if the file is clean; else leniently (as the database reads rows), saying how many
    rows `zhili cases validate` would refuse — the tables still count them."""
    import json

    try:
        return read_cases(path)
    except CaseFileError as exc:
        rows = {e.row for e in exc.errors}
        print(f"注意：{path.name} 有 {len(exc.errors)} 处校验错误（{len(rows)} 行），统计时仍计入；"
              f"请运行 zhili cases validate {path} 查看")
        return [stored_case(json.loads(x)) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main(paths: list[Path]) -> None:
    cases = [c for p in paths for c in _read(p)]
    ids = Counter(c.id for c in cases)
    if dup := [i for i, n in ids.items() if n > 1]:
        print(f"注意：{len(dup)} 个编号在多个文件中重复，例如 {dup[:5]}")
    stats = library_stats(cases)
    total = stats["total"]
    by_domain = {d: stats["by_domain"].get(d, 0) for d in DOMAINS}
    by_domain = dict(sorted(by_domain.items(), key=lambda kv: (-kv[1], kv[0])))
    print(f"案例 {total}（文件：{', '.join(p.name for p in paths)}）")
    _table("领域", by_domain, total, TARGETS["per_domain"])
    _table("省份", stats["by_province"], total)
    _table("层级", stats["by_level"], total)
    _table("来源可信度", stats["by_trust"], total)
    kinds = {k: sum(1 for c in cases if any(w in f"{c.title}{c.problem}{c.practice}" for w in words))
             for k, words in KINDS.items()}
    _table("群众留言常见问题（关键词筛查）", kinds, total, TARGETS["per_kind"])
    provinces = [p for p in stats["by_province"] if p != "（未填）"]
    sichuan = stats["by_province"].get("四川", 0)
    low = [d for d, n in by_domain.items() if n < TARGETS["per_domain"]]
    print("\n目标")
    print(f"  案例总数 ≥ {TARGETS['total']}: {total} {'✓' if total >= TARGETS['total'] else '✗'}")
    print(f"  每个领域 ≥ {TARGETS['per_domain']}: {'✓' if not low else '✗ 不足：' + '、'.join(low)}")
    print(f"  四川 ≥ {TARGETS['sichuan']}: {sichuan} {'✓' if sichuan >= TARGETS['sichuan'] else '✗'}")
    print(f"  省份 ≥ {TARGETS['provinces']}: {len(provinces)} {'✓' if len(provinces) >= TARGETS['provinces'] else '✗'}")
    weak = [k for k, n in kinds.items() if n < TARGETS["per_kind"]]
    print(f"  每类留言问题 ≥ {TARGETS['per_kind']}: {'✓' if not weak else '✗ 不足：' + '、'.join(weak)}")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or [BUNDLED_CASES])
