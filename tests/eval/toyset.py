"""A tiny evaluation folder shared by the runner and CLI tests (imported, not collected)."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = [
    {"id": "c1", "title": "老旧小区加装电梯协商", "text": "社区议事会组织高低层住户协商加装电梯，设立补偿基金化解低层住户反对。"},
    {"id": "c2", "title": "物业服务质量提升", "text": "业委会监督物业服务，物业不作为时街道约谈物业企业。"},
    {"id": "c3", "title": "小区停车难治理", "text": "挖潜共享车位，错时停车，缓解小区停车难。"},
    {"id": "c4", "title": "垃圾分类积分", "text": "居民垃圾分类积分兑换，志愿者桶边督导。"},
    {"id": "c5", "title": "矛盾纠纷多元调解", "text": "人民调解员、网格员联动排查化解邻里纠纷。"},
    {"id": "c6", "title": "红白理事会移风易俗", "text": "村规民约限定彩礼和宴席规模，红白理事会操办。"},
]
QUERIES = [
    {"id": "q1", "text": "老旧小区加装电梯，低层住户反对怎么办", "style": "plain"},
    {"id": "q2", "text": "小区停车难，车位不够", "style": "short"},
    {"id": "q3", "text": "外卖骑手交通违法如何管理", "style": "plain"},  # nothing fits
    {"id": "q4", "text": "邻里纠纷", "style": "short"},
]
QRELS = "q1\tc1\t3\nq1\tc2\t1\nq1\tc3\t0\nq2\tc3\t3\nq2\tc1\t0\nq3\tc3\t1\nq4\tc5\t2\n"
POOLS = "q1\tc1\nq1\tc2\nq1\tc4\nq2\tc3\nq2\tc5\nq3\tc4\nq3\tc6\n"  # q4 has no pool


def write_set(root: Path, pools: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES), encoding="utf-8")
    (root / "qrels.tsv").write_text(QRELS, encoding="utf-8")
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CORPUS), encoding="utf-8")
    if pools:
        (root / "pools.tsv").write_text(POOLS, encoding="utf-8")
    return root
