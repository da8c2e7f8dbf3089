"""What `zhili.privacy` masks in text that holds no personal data, what it catches in text that does, and how fast.

    python benchmarks/privacy_fp.py [--messages FILE] [--show N] [--repeat N]

1. Bundled cases (223 governance cases, every text field): every span found here is a candidate
   false positive — governance practice and place names must survive. Prints spans and masked
   characters by kind, name spans per 50 cases, and the most frequent masked strings in context,
   so a person can see what is being wrongly masked (some are real people: authors in source titles).
2. Real citizen messages (shared/bench/messages, 221 rows; not in the repository): spans by kind and
   a sample of masked spans in context, to eyeball precision on long first-person texts.
3. The hand-made recall set (tests/data/privacy_recall.txt): recall per kind, and characters starred
   outside the marked secrets (over-masking).
4. Time per call of `mask` on 300-character texts after warm-up (and the one-off segmenter load).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections import Counter
from pathlib import Path

from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.privacy import MASK_CHAR, Span, find_personal, mask

ROOT = Path(__file__).resolve().parents[1]
RECALL_SET = ROOT / "tests" / "data" / "privacy_recall.txt"
_SHARED = [p / "shared" / "bench" / "messages" / "messages.jsonl" for p in ROOT.parents[:2]]
DEFAULT_MESSAGES = next((p for p in _SHARED if p.exists()), _SHARED[0])
# Real people named in the bundled cases (the author in many source titles: "seed article: …
# (李志明, 2025-05-21)"; officials and villagers named in the published reports; parties the
# reports already pseudonymised, 何某某). Masking them is right, so they are not counted as false
# positives (the same set as tests/test_privacy.py).
REAL_PEOPLE_IN_CASES = {"李志明", "吉日忠", "李宗成", "王洪", "袁加清", "杨德忠", "潘建平", "杨华", "张玉杰",
                        "何某某", "陈某某", "马某某"}


def case_texts() -> tuple[int, list[str]]:
    """Every text field of every bundled case, as the engine holds it (validated through case_from_record)."""
    lines = [line for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: list[str] = []
    for line in lines:
        case = case_from_record(json.loads(line))
        texts += [case.title, case.problem, case.practice, case.province, case.city, case.district]
        texts += [case.source.title, case.source.url, case.source.date]
        texts += case.domains + case.leadership + case.mechanisms + case.actors
        texts += [t for o in case.outcomes for t in (o.metric, o.unit, o.text)]
    return len(lines), [t for t in texts if t]


def _context(text: str, sp: Span, width: int = 8) -> str:
    return f"{text[max(0, sp.start - width):sp.start]}[{text[sp.start:sp.end]}]{text[sp.end:sp.end + width]}"


def survey(texts: list[str]) -> tuple[Counter[str], Counter[str], dict[str, Counter[str]], list[tuple[str, str]]]:
    """Spans and masked characters by kind, masked strings by kind, and (kind, context) of every span."""
    spans: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    strings: dict[str, Counter[str]] = {}
    seen: list[tuple[str, str]] = []
    for text in texts:
        found = find_personal(text)
        if not found:
            continue
        masked = mask(text)
        for sp in found:
            spans[sp.kind] += 1
            chars[sp.kind] += sum(masked[i] == MASK_CHAR != text[i] for i in range(sp.start, sp.end))
            strings.setdefault(sp.kind, Counter())[text[sp.start:sp.end]] += 1
            seen.append((sp.kind, _context(text, sp)))
    return spans, chars, strings, seen


def _print_survey(title: str, texts: list[str], show: int) -> tuple[Counter[str], list[tuple[str, str]]]:
    spans, chars, strings, seen = survey(texts)
    print(f"\n== {title}: {len(texts)} texts, {sum(map(len, texts))} characters")
    if not spans:
        print("nothing masked")
    for kind in sorted(spans):
        print(f"{kind:10s} spans {spans[kind]:4d}  masked chars {chars[kind]:5d}")
        top = ", ".join(f"{s}×{n}" for s, n in strings[kind].most_common(show))
        print(f"    top: {top}")
    return spans, seen


def recall_set(path: Path = RECALL_SET) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Lines of the hand-made set: (plain text, [(kind, start, end)]) — {name} or [must be starred]."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        plain, marks, pos = [], [], 0
        for m in re.finditer(r"\{([^}]*)\}|\[([^\]]*)\]|([^{\[]+)", raw):
            piece = m[1] if m[1] is not None else m[2] if m[2] is not None else m[3]
            if m[3] is None:
                marks.append(("name" if m[1] is not None else "starred", pos, pos + len(piece)))
            plain.append(piece)
            pos += len(piece)
        out.append(("".join(plain), marks))
    return out


def _surname_len(name: str) -> int:
    from zhili.privacy import _COMPOUND_SURNAMES

    return 2 if name.startswith(_COMPOUND_SURNAMES) else 1


def score_recall(items: list[tuple[str, list[tuple[str, int, int]]]]) -> dict[str, object]:
    """Caught: every character of a [mark] starred; every character after the surname of a {name}.
    Over-masked: characters starred outside any mark (a surname inside {name} may go either way)."""
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[str] = []
    over: list[str] = []
    for text, marks in items:
        out = mask(text)
        allowed = set()
        for kind, a, b in marks:
            first = a + (_surname_len(text[a:b]) if kind == "name" else 0)
            ok = all(out[i] == MASK_CHAR for i in range(first, b))
            allowed.update(range(a, b))
            total[kind] += 1
            caught[kind] += ok
            if not ok:
                missed.append(f"{text[a:b]}  ←  {out}")
        wrong = [i for i, ch in enumerate(out) if ch == MASK_CHAR and text[i] != MASK_CHAR and i not in allowed]
        if wrong:
            over.append(f"{''.join(text[i] for i in wrong)}  ←  {out}")
    return {"caught": caught, "total": total, "missed": missed, "over": over}


def timing(texts: list[str], repeat: int) -> dict[str, float]:
    """mask() on each text, `repeat` rounds after a warm-up round: ms per call."""
    for t in texts:
        mask(t)
    per_call: list[float] = []
    for _ in range(repeat):
        for t in texts:
            t0 = time.perf_counter()
            mask(t + " ")  # a fresh string each round, so no per-text cache helps
            per_call.append((time.perf_counter() - t0) * 1000)
    per_call.sort()
    return {"calls": len(per_call), "mean": statistics.fmean(per_call), "p50": per_call[len(per_call) // 2],
            "p95": per_call[int(len(per_call) * 0.95)], "max": per_call[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    ap.add_argument("--show", type=int, default=25, help="top masked strings per kind")
    ap.add_argument("--sample", type=int, default=40, help="masked spans shown from the messages")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    mask("我叫张三")  # builds the segmenter
    load_ms = (time.perf_counter() - t0) * 1000

    n_cases, texts = case_texts()
    spans, seen = _print_survey(f"bundled cases ({n_cases})", texts, args.show)
    real = sum(1 for kind, ctx in seen if kind == "name" and any(f"[{p}]" in ctx for p in REAL_PEOPLE_IN_CASES))
    wrong = spans.get("name", 0) - real
    print(f"name spans: {spans.get('name', 0)}, of which {real} real people ({', '.join(sorted(REAL_PEOPLE_IN_CASES))}); "
          f"false positives {wrong} in {n_cases} cases = {wrong / n_cases * 50:.2f} per 50 cases")
    print("every name span in the cases, in context:")
    for kind, ctx in seen:
        if kind == "name":
            print("   ", ctx)
    print("every other span in the cases, in context:")
    for kind, ctx in seen:
        if kind != "name":
            print(f"    {kind:8s} {ctx}")

    messages: list[str] = []
    if args.messages.exists():
        rows = [json.loads(line) for line in args.messages.read_text(encoding="utf-8").splitlines() if line.strip()]
        messages = [r.get(field) or "" for field in ("text", "title", "reply") for r in rows]
        messages = [m for m in messages if m]
        _, seen_m = _print_survey(f"citizen messages ({len(rows)} rows: text, title, reply)", messages, args.show)
        rng = random.Random(9)
        for kind in sorted({k for k, _ in seen_m}):
            pool = [c for k, c in seen_m if k == kind]
            print(f"  sample of {kind} spans ({min(args.sample, len(pool))} of {len(pool)}):")
            for ctx in rng.sample(pool, min(args.sample, len(pool))):
                print("     ", ctx)
    else:
        print(f"\n(no messages at {args.messages}: skipped)")

    items = recall_set()
    r = score_recall(items)
    caught, total = r["caught"], r["total"]
    assert isinstance(caught, Counter) and isinstance(total, Counter)
    print(f"\n== recall set: {len(items)} sentences ({RECALL_SET.relative_to(ROOT)})")
    for kind in sorted(total):
        print(f"{kind:8s} caught {caught[kind]}/{total[kind]} = {caught[kind] / total[kind]:.1%}")
    all_c, all_t = sum(caught.values()), sum(total.values())
    print(f"all      caught {all_c}/{all_t} = {all_c / all_t:.1%}")
    for line in r["missed"]:  # type: ignore[attr-defined]
        print("  missed:", line)
    for line in r["over"]:  # type: ignore[attr-defined]
        print("  over-masked:", line)

    pool = messages or [t for t in texts if len(t) > 100]
    cut = [t[:300] for t in pool if len(t) >= 300] or pool
    stats = timing(cut, args.repeat)
    print(f"\n== time: segmenter load {load_ms:.0f} ms (once per process); mask() on {len(cut)} texts of "
          f"{statistics.fmean(map(len, cut)):.0f} chars × {args.repeat}: mean {stats['mean']:.3f} ms, "
          f"p50 {stats['p50']:.3f} ms, p95 {stats['p95']:.3f} ms, max {stats['max']:.3f} ms")


if __name__ == "__main__":
    main()
