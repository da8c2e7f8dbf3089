"""Sites that case files rate higher than the publisher list does, as rows for publishers.csv.

`zhili cases validate` refuses a case whose stated trust (官方发布 / 主流媒体) is higher than the
list gives its link's site. Before merging case files written by others, run this, review each
proposed row (is it really a government/party site, or a state/party newspaper, broadcaster or
county media centre?), and append the good ones to src/zhili/data/publishers.csv:

    .venv/bin/python scripts/publisher_candidates.py /work/growth/*.jsonl

Prints `domain,publisher,kind` with the number of cases and one example URL as a comment.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhili.cases.sources import REPOST, TRUST_LEVELS, host_of, trust_of  # noqa: E402

RANK = {level: len(TRUST_LEVELS) - i for i, level in enumerate(TRUST_LEVELS)}
PREFIXES = ("www.", "m.", "wap.", "mobile.")


def _domain(host: str) -> str:
    for p in PREFIXES:
        if host.startswith(p):
            return host[len(p):]
    return host


def main(paths: list[Path]) -> None:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            src = (json.loads(line).get("source") or {})
            url, publisher, trust = src.get("url", ""), src.get("publisher", ""), src.get("trust", "")
            if trust in RANK and RANK[trust] > RANK[trust_of(url, publisher)]:
                key = (_domain(host_of(url)) if url else "", trust)
                found[key].append(f"{publisher}\t{url}")
    for (domain, trust), rows in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        publisher, url = rows[0].split("\t")
        print(f"{domain},{publisher},{trust}    # {len(rows)} 个案例，如 {url}")
    if not found:
        print(f"没有需要补充的网站：文件中的可信度都不高于发布者名单（未列入的网站为“{REPOST}”）")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]])
