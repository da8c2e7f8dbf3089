"""案例入库 quality and speed on a development set laid out like ../shared/bench/ingest/dev
(compilation.docx, compilation.pdf, html/cNN.html, gold.jsonl, segments.jsonl), per format:

  segmentation boundary F1, title match (exact / ≥0.6 character overlap), province / city /
  district / level / year accuracy, domains F1, outcome-figure recall and precision, the count
  of fabricated values (a figure, place, year or date that does not occur in the source text:
  must be 0), documents and pages per minute; then a synthetic ≥100-page compilation (docx and
  PDF) built from the bundled library, timed end to end (reading, segmentation, extraction,
  MinHash duplicate check against the library; no dense vectors).

    python benchmarks/ingest.py [DEV_DIR] [--no-synthetic]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from zhili.ingest.dedup import DuplicateIndex
from zhili.ingest.pipeline import analyse

DEFAULT_DEV = Path("../shared/bench/ingest/dev")  # relative to the repository, as the issue names it


def norm(s: str) -> str:
    return re.sub(r"[\s　:：,，。!！?？\[\]【】“”\"'·]", "", s or "")


def char_f1(a: str, b: str) -> float:
    a, b = norm(a), norm(b)
    if not a or not b:
        return float(a == b)
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fabricated(text: str, case: dict[str, Any]) -> list[str]:
    """Values that do not occur in the document text (independent of the extractor's spans)."""
    flat = re.sub(r"[\s“”\"]", "", text)  # mechanisms are verbatim with quotation marks stripped
    bad = []
    for o in case.get("outcomes", []):
        v = o.get("value")
        if v is None:
            continue
        shown = str(int(v)) if float(v).is_integer() else str(v)
        if shown not in flat:
            bad.append(f"figure {v}")
    for k in ("province", "city", "district"):
        if case.get(k) and case[k] not in flat:
            bad.append(f"{k} {case[k]}")
    if case.get("year") and str(case["year"]) not in flat:
        bad.append(f"year {case['year']}")
    d = (case.get("source") or {}).get("date", "")
    if d:
        y, m, dd = d.split("-")
        if not re.search(rf"{y}\D{{1,3}}0?{int(m)}\D{{1,3}}0?{int(dd)}", text):
            bad.append(f"date {d}")
    for name in case.get("mechanisms", []):
        if name not in flat:
            bad.append(f"mechanism {name}")
    return bad


class Scores:
    def __init__(self) -> None:
        self.b_tp = self.b_fp = self.b_fn = 0
        self.n = 0
        self.title_exact = self.title_fuzzy = 0
        self.field_ok: Counter[str] = Counter()
        self.d_tp = self.d_fp = self.d_fn = 0
        self.f_tp = self.f_fp = self.f_fn = 0
        self.fabricated: list[str] = []
        self.seconds = 0.0
        self.docs = self.pages = 0

    def case(self, pred: dict[str, Any] | None, gold: dict[str, Any], text: str) -> None:
        self.n += 1
        if pred is None:
            self.d_fn += len(gold["domains"])
            self.f_fn += len(gold["outcomes"])
            return
        if norm(pred["title"]) == norm(gold["title"]):
            self.title_exact += 1
        if char_f1(pred["title"], gold["title"]) >= 0.6:
            self.title_fuzzy += 1
        for k in ("province", "city", "district", "level", "year"):
            self.field_ok[k] += (pred.get(k) or None) == (gold.get(k) or None)
        self.field_ok["province+city"] += (pred["province"], pred["city"]) == (gold["province"], gold["city"])
        pd, gd = set(pred["domains"]), set(gold["domains"])
        self.d_tp += len(pd & gd)
        self.d_fp += len(pd - gd)
        self.d_fn += len(gd - pd)
        pv = Counter(float(o["value"]) for o in pred["outcomes"] if o.get("value") is not None)
        gv = Counter(float(o["value"]) for o in gold["outcomes"] if o.get("value") is not None)
        tp = sum((pv & gv).values())
        self.f_tp += tp
        self.f_fp += sum(pv.values()) - tp
        self.f_fn += sum(gv.values()) - tp
        self.fabricated += fabricated(text, pred)

    def row(self, name: str) -> dict[str, Any]:
        _, _, bf1 = f1(self.b_tp, self.b_fp, self.b_fn)
        _, _, df1 = f1(self.d_tp, self.d_fp, self.d_fn)
        fp_, fr, _ = f1(self.f_tp, self.f_fp, self.f_fn)
        n = max(1, self.n)
        per_min = 60 / self.seconds if self.seconds else 0.0
        return {"format": name, "cases": self.n, "boundary_f1": round(bf1, 3),
                "title_exact": round(self.title_exact / n, 3), "title_fuzzy": round(self.title_fuzzy / n, 3),
                **{k: round(self.field_ok[k] / n, 3) for k in ("province", "city", "district", "province+city",
                                                              "level", "year")},
                "domains_f1": round(df1, 3), "figure_recall": round(fr, 3), "figure_precision": round(fp_, 3),
                "fabricated": len(self.fabricated), "docs_per_min": round(self.docs * per_min, 1),
                "pages_per_min": round(self.pages * per_min, 1)}


def compilation(path: Path, gold: list[dict[str, Any]], segs: list[dict[str, Any]], name: str) -> Scores:
    s = Scores()
    data = path.read_bytes()
    analyse(data, "warm-" + path.name)  # first use loads the reader's library: timed separately below
    t0 = time.perf_counter()
    res = analyse(data, path.name)
    s.seconds = time.perf_counter() - t0
    s.docs, s.pages = 1, res["pages"]
    if res["error"]:
        raise SystemExit(f"{path.name}: {res['error']['message']}")
    text = res["text"]
    # gold boundary: where the gold heading line starts (the last occurrence: the first is the 目录 entry)
    gold_starts = []
    for g in segs:
        key = norm(g["heading"])
        starts = [m.start() for m in re.finditer(r"[^\n]+", text) if norm(m.group(0)) == key]
        gold_starts.append(starts[-1] if starts else -1)
    pred = [(c["segment"][0], c["case"]) for c in res["cases"]]
    matched: dict[int, dict[str, Any]] = {}
    used = set()
    for gi, gs in enumerate(gold_starts):
        for pi, (ps, _case) in enumerate(pred):
            if pi not in used and gs >= 0 and abs(ps - gs) <= 2:
                matched[gi] = pred[pi][1]
                used.add(pi)
                break
    s.b_tp = len(matched)
    s.b_fn = len(gold) - len(matched)
    s.b_fp = len(pred) - len(used)
    for gi, g in enumerate(gold):
        s.case(matched.get(gi), g, text)
    return s


def pages(html_dir: Path, gold: list[dict[str, Any]]) -> Scores:
    s = Scores()
    for g in gold:
        path = html_dir / f"c{g['case_no']:02d}.html"
        if not path.exists():
            continue
        t0 = time.perf_counter()
        res = analyse(path.read_bytes(), path.name)
        s.seconds += time.perf_counter() - t0
        s.docs += 1
        s.pages += 1
        n = len(res["cases"])
        s.b_tp += min(n, 1)
        s.b_fp += max(n - 1, 0)
        s.b_fn += int(n == 0)
        s.case(res["cases"][0]["case"] if n else None, g, res["text"])
    return s


def synthetic(min_pages: int = 100) -> list[dict[str, Any]]:
    """A ≥100-page Word compilation and its PDF from the bundled library, timed end to end."""
    import docx
    from docx.enum.text import WD_BREAK

    from zhili.config import BUNDLED_CASES
    from zhili.store import CaseStore

    cases = [json.loads(l) for l in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if l.strip()]
    nums = "一二三四五六七八九十"

    def cn(i: int) -> str:
        i += 1
        if i <= 10:
            return nums[i - 1]
        tens, ones = divmod(i, 10)
        return (nums[tens - 1] if tens > 1 else "") + "十" + (nums[ones - 1] if ones else "")

    picked = (cases * 2)[:min_pages]  # one case per page; repeated cases are duplicates the checker sees
    d = docx.Document()
    d.add_heading("目录", level=1)
    for i, c in enumerate(picked):
        d.add_paragraph(f"案例{cn(i)}　{c['title']}")
    for i, c in enumerate(picked):
        d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        d.add_heading(f"案例{cn(i)}：{c['title']}", level=1)
        for p in (c["problem"], c["practice"], "；".join(o["text"] for o in c["outcomes"] if o.get("text"))):
            if p:
                d.add_paragraph(p * 3)  # a page's worth of text
    buf = io.BytesIO()
    d.save(buf)
    docx_bytes = buf.getvalue()
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    pdf.set_font("cjk", size=11)
    for i, c in enumerate(picked):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"案例{cn(i)}：{c['title']}", new_x="LMARGIN", new_y="NEXT")
        for p in (c["problem"], c["practice"]):
            if p:
                pdf.multi_cell(0, 7, p * 3, new_x="LMARGIN", new_y="NEXT")
    pdf_bytes = bytes(pdf.output())
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp, CaseStore.open(f"sqlite:///{tmp}/bench.db") as store:
        for name, data in (("synthetic.docx", docx_bytes), ("synthetic.pdf", pdf_bytes)):
            t0 = time.perf_counter()
            index = DuplicateIndex()
            index.add_cases(store.all())
            res = analyse(data, name, index)
            secs = time.perf_counter() - t0
            held = sum(1 for c in res["cases"] if c["duplicates"])
            rows.append({"file": name, "pages": res["pages"], "cases": len(res["cases"]), "seconds": round(secs, 2),
                         "pages_per_min": round(res["pages"] * 60 / secs, 1), "flagged_duplicates": held})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dev", nargs="?", type=Path, default=DEFAULT_DEV)
    ap.add_argument("--no-synthetic", action="store_true")
    args = ap.parse_args(argv)
    gold = [json.loads(l) for l in (args.dev / "gold.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    segs = [json.loads(l) for l in (args.dev / "segments.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    analyse(b"warm up: imports and the gazetteer", "warm.txt")
    rows = []
    details = {}
    for fmt in ("docx", "pdf"):
        path = args.dev / f"compilation.{fmt}"
        if path.exists():
            s = compilation(path, gold, segs, fmt)
            rows.append(s.row(fmt))
            details[fmt] = s.fabricated
    if (args.dev / "html").is_dir():
        s = pages(args.dev / "html", gold)
        rows.append(s.row("html"))
        details["html"] = s.fabricated
    keys = list(rows[0])
    print("\t".join(keys))
    for r in rows:
        print("\t".join(str(r[k]) for k in keys))
    for fmt, bad in details.items():
        if bad:
            print(f"fabricated in {fmt}: {bad}", file=sys.stderr)
    if not args.no_synthetic:
        print()
        for r in synthetic():
            print(json.dumps(r, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
