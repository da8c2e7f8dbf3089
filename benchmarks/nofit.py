"""The no-fit flag and the 匹配度 calibration: measure them, or refit them (--fit).

Data (not part of the repository):
- real citizen messages: ../shared/bench/messages/messages.jsonl (221 网络问政 messages, see
  its README), hand-labelled fit / no-fit against the bundled (grown, 1,000-case) library in
  tests/data/messages_fit_labels_grown.jsonl (`fit`: does the library hold a case a cadre handling
  the message would find useful; `borderline`: the labeller was unsure; `reason`: why; `source`:
  judged after the growth, or an old fit label carried over); the labels against the old 223-case
  library are tests/data/messages_fit_labels.jsonl (`--labels`, measure them on that library);
- gov-dev: ../shared/bench/gov-dev (30 cadre queries, graded judgments; a query fits when some
  case is graded ≥ 2, which is what `zhili eval` uses too), plus tests/data/gov_dev_grown_qrels.tsv
  (new cases judged since: q072 fits on the grown library).

    python benchmarks/nofit.py                 # the flag on both sets with the current settings
    python benchmarks/nofit.py --fit           # refit: cross-validated numbers + new coefficients
    python benchmarks/nofit.py --json out.json # also write every number
    python benchmarks/nofit.py --fit --write   # refit and write it: config.py + tests/data/nofit_measured.json

After labels or cases change (merge time): `python scripts/ship_vectors.py` (passage and about
vectors of new cases), then `python benchmarks/nofit.py --fit --write`; the tests
(tests/engine/test_fit_labels.py) then check the rates written to nofit_measured.json.

What it prints:
1. the flag's recall (share of no-fit messages flagged) and false-flag rate (share of fit
   messages flagged) on the labels — all labels and the clear ones only — and its precision /
   recall on gov-dev; with --fit also the same numbers from 5-fold cross-validation repeated 5
   times (each message scored by a model that never saw it);
   and the same for "flagged or cautioned" (a fit answer under caution_threshold carries a
   核对做法是否适用 line; --fit chooses the threshold under which 70 % of the no-fit messages fall);
2. the 匹配度 calibration on gov-dev: a reliability table (mean percent vs. share actually
   relevant, per percent band) with leave-one-query-out predictions when fitting;
3. the time the problem_similarity signal adds to an answer;
4. with --fit, the coefficients to paste into zhili/config.py (FIT_WEIGHTS, FIT_NEUTRAL,
   MATCH_WEIGHTS, MATCH_NEUTRAL) and the threshold.

Query vectors: messages are embedded on the fly (~0.1 s each) unless
tests/data/messages_query_vectors.npz holds them (scripts/message_vectors.py writes it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import re
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent.parent / "shared" / "bench"
if not BENCH.is_dir():
    BENCH = Path("/work/shared/bench")
LABELS = ROOT / "tests" / "data" / "messages_fit_labels_grown.jsonl"
# gov-dev's qrels judge the old 223-case library; judgments of new cases that change whether a
# query fits (q072, dogs: case-2133 and case-2014 graded 2 after the growth) are added from here
GOV_EXTRA_QRELS = ROOT / "tests" / "data" / "gov_dev_grown_qrels.tsv"
VECTORS = ROOT / "tests" / "data" / "messages_query_vectors.npz"

FEATURES = ("dense_lead", "bm25_top", "agreement", "rule_confidence", "key_coverage", "topic_coverage",
            "problem_similarity")
MATCH_FEATURES = ("score", "dense", "bm25")
GOV_WEIGHT = 2.0     # a gov-dev query counts twice: what cadres type is the main use
L2 = 1.0             # ridge on standardised features
TARGET_FALSE_FLAGS = 0.10  # the cut-off: at most this share of fit messages flagged (cross-validated)
CAUTION_COVERS = 0.70      # the caution line: at least this share of no-fit messages flagged or cautioned
CALIBRATION_DEPTH = 20
# A coverage signal is missing when the text has no key term / names no topic: then nothing of it
# is covered (0), not "an average message" — the mean of the labelled messages, nearly all of which
# have both (6 of 158 lack one), would make a text without any governance word look half-covered.
NEUTRAL_FIXED = {"key_coverage": 0.0, "topic_coverage": 0.0}


# ------------------------------------------------------------------------------ data
def load_messages(directory: Path, labels: Path) -> list[dict]:
    texts = {}
    for line in (directory / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            texts[m["id"]] = m["text"]
    out = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lab = json.loads(line)
            out.append({"id": lab["id"], "text": texts[lab["id"]], "fit": bool(lab["fit"]),
                        "borderline": bool(lab.get("borderline")), "src": "labels"})
    return out


def load_gov(directory: Path, extra: Path | None = GOV_EXTRA_QRELS) -> list[dict]:
    qrels: dict[str, dict[str, int]] = {}
    for path in [directory / "qrels.tsv"] + ([extra] if extra and extra.is_file() else []):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q, c, g = line.split("\t")
                qrels.setdefault(q, {})[c] = int(g)
    out = []
    for line in (directory / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            rel = qrels.get(q["id"], {})
            out.append({"id": q["id"], "text": q["text"], "fit": any(g >= 2 for g in rel.values()),
                        "borderline": False, "src": "gov-dev", "qrels": rel})
    return out


def open_engine():
    from zhili.cases import case_from_record
    from zhili.config import BUNDLED_CASES
    from zhili.wiring import cases_engine

    home = Path(tempfile.mkdtemp(prefix="zhili-nofit-"))
    os.environ["ZHILI_HOME"] = str(home)
    cases = [case_from_record(json.loads(x)) for x in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    engine = cases_engine(cases, home / "index")
    if engine.embedder is not None:  # the signals as they read on the model being measured
        engine.settings.fit_embedder = engine.embedder.name
    return engine


def preload_vectors(engine, items: list[dict], path: Path) -> int:
    """Fill the engine's query-vector cache from the shipped file (keyed by the embedded text's hash)."""
    if not path.is_file():
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from message_vectors import text_key

    data = np.load(path, allow_pickle=False)
    have = dict(zip(data["keys"].tolist(), data["vectors"]))
    n = 0
    for it in items:
        dense_text = engine.dense_text(engine.analyze(it["text"]))
        vec = have.get(text_key(dense_text))
        if vec is not None:
            engine.query_cache[dense_text] = np.asarray(vec, dtype=np.float32)
            n += 1
    return n


def run(engine, items: list[dict]) -> None:
    """Answer every item (top 20, rules on); keep the signals and each result's calibration inputs."""
    from zhili.verdict.match import case_features

    captured: list[tuple[str, dict]] = []
    original = engine._match

    def spy(res, i, r, ctx, fit_score, weak):
        captured.append((res.case_id, case_features(res.score, float(r.dense[i]) if r.dense is not None else None,
                                                    ctx[0], float(r.sparse[i]))))
        return original(res, i, r, ctx, fit_score, weak)

    engine._match = spy
    try:
        for it in items:
            captured.clear()
            ans = engine.recommend(it["text"], top_k=CALIBRATION_DEPTH, explain=False)
            it.update(signals=dict(ans.fit_signals), fit_score=ans.fit_score, verdict=ans.verdict,
                      flagged=ans.no_fit, results=list(captured),
                      percents=[r.match.percent for r in ans.results if r.match])
    finally:
        del engine._match


def latency(engine, items: list[dict], rounds: int = 3) -> dict:
    """Time spent computing the problem_similarity signal per answer (about vectors loaded,
    query vectors cached), next to the whole answer's time."""
    import time

    spent = [0.0]
    original = engine.problem_similarities

    def timed_signal(r, order):
        t0 = time.perf_counter()
        try:
            return original(r, order)
        finally:
            spent[0] += time.perf_counter() - t0

    for it in items:  # warm: query vectors, about vectors, case texts
        engine.recommend(it["text"], top_k=10, explain=False)
    engine.problem_similarities = timed_signal
    try:
        t0 = time.perf_counter()
        for _ in range(rounds):
            for it in items:
                engine.recommend(it["text"], top_k=10, explain=False)
        total = time.perf_counter() - t0
    finally:
        del engine.problem_similarities
    n = rounds * len(items)
    return {"answer": 1000 * total / n, "added": 1000 * spent[0] / n}


# ------------------------------------------------------------------------------ models
def matrix(items: list[dict], names, neutral: dict[str, float] | None = None,
           key: str = "signals") -> tuple[np.ndarray, dict[str, float]]:
    raw = np.array([[it[key].get(n, np.nan) for n in names] for it in items], dtype=float)
    if neutral is None:
        neutral = {n: NEUTRAL_FIXED[n] if n in NEUTRAL_FIXED else
                   float(np.nanmean(raw[:, j])) if np.isfinite(raw[:, j]).any() else 0.0
                   for j, n in enumerate(names)}
    filled = np.where(np.isnan(raw), np.array([neutral[n] for n in names]), raw)
    return filled, neutral


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = L2):
    """Weighted ridge logistic regression (Newton); returns raw-scale (intercept, coefs)."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    w = np.ones(len(y)) if w is None else w
    beta = np.zeros(Z.shape[1])
    ridge = l2 * np.r_[np.ones(Z.shape[1] - 1), 0.0]
    for _ in range(100):
        p = 1 / (1 + np.exp(-Z @ beta))
        grad = Z.T @ (w * (p - y)) + ridge * beta
        hess = (Z * (w * p * (1 - p))[:, None]).T @ Z + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    coef = beta[:-1] / sd
    return float(beta[-1] - (beta[:-1] * mu / sd).sum()), coef


def predict(model, X: np.ndarray) -> np.ndarray:
    b, coef = model
    return 1 / (1 + np.exp(-(b + X @ coef)))


def cross_validated(items: list[dict], folds: int = 5, repeats: int = 5) -> np.ndarray:
    """Each item's fit probability from models that never saw it (neutral values refitted per fold)."""
    y = np.array([it["fit"] for it in items], dtype=float)
    wts = np.array([GOV_WEIGHT if it["src"] == "gov-dev" else 1.0 for it in items])
    out = np.zeros(len(items))
    for rep in range(repeats):
        rng = np.random.default_rng(rep)
        fold = np.empty(len(items), dtype=int)
        for grp in ({"labels"}, {"gov-dev"}):  # stratified by source and label
            for lab in (0.0, 1.0):
                idx = [i for i, it in enumerate(items) if it["src"] in grp and y[i] == lab]
                idx = rng.permutation(idx)
                fold[idx] = np.arange(len(idx)) % folds
        for f in range(folds):
            tr, te = fold != f, fold == f
            X_tr, neutral = matrix([items[i] for i in np.flatnonzero(tr)], FEATURES)
            X_te, _ = matrix([items[i] for i in np.flatnonzero(te)], FEATURES, neutral)
            out[te] += predict(fit_logistic(X_tr, y[tr], wts[tr]), X_te) / repeats
    return out


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def flag_numbers(items: list[dict], flagged: np.ndarray) -> dict:
    """Recall / false-flag rate / precision of the no-fit flag, overall and on clear labels."""
    y = np.array([not it["fit"] for it in items])
    clear = np.array([not it["borderline"] for it in items])

    def part(m):
        tp = int((flagged & y & m).sum())
        fp = int((flagged & ~y & m).sum())
        return {"no_fit": int((y & m).sum()), "fit": int((~y & m).sum()), "flagged": int((flagged & m).sum()),
                "recall": tp / max(1, int((y & m).sum())), "false_flags": fp / max(1, int((~y & m).sum())),
                "precision": tp / max(1, tp + fp)}

    return {"all": part(np.ones(len(items), dtype=bool)), "clear": part(clear)}


def reliability(pairs: list[tuple[float, bool]], edges=(0, 10, 20, 30, 45, 60, 80, 101)) -> list[dict]:
    rows = []
    for lo, hi in zip(edges, edges[1:]):
        sel = [(p, r) for p, r in pairs if lo <= p < hi]
        if sel:
            rows.append({"band": f"{lo}–{min(hi, 100)}", "n": len(sel), "mean_percent": float(np.mean([p for p, _ in sel])),
                         "relevant": float(np.mean([r for _, r in sel]))})
    return rows


def calibration_rows(items: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, relevant?, query index) for every (gov-dev query with a fit, shown case)."""
    X, y, q = [], [], []
    for qi, it in enumerate(items):
        if it["src"] != "gov-dev" or not it["fit"]:
            continue
        for cid, feats in it["results"]:
            X.append([feats.get(n, np.nan) for n in MATCH_FEATURES])
            y.append(it["qrels"].get(cid, 0) >= 2)
            q.append(qi)
    return np.array(X, dtype=float), np.array(y, dtype=float), np.array(q)


# ------------------------------------------------------------------------------ report
def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def print_flags(title: str, labels: dict, gov: dict) -> None:
    a, c, g = labels["all"], labels["clear"], gov["all"]
    print(f"{title}")
    print(f"  labels ({a['no_fit']} no-fit / {a['fit']} fit): no-fit flagged {a['no_fit'] and pct(a['recall'])}, "
          f"fit falsely flagged {pct(a['false_flags'])}, precision {pct(a['precision'])}")
    print(f"  clear labels ({c['no_fit']} / {c['fit']}): no-fit flagged {pct(c['recall'])}, "
          f"fit falsely flagged {pct(c['false_flags'])}")
    print(f"  gov-dev ({g['no_fit']} no-fit / {g['fit']} fit): flagged {g['flagged']}, "
          f"precision {pct(g['precision'])}, recall {pct(g['recall'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=Path, default=BENCH / "messages")
    ap.add_argument("--gov-dev", type=Path, default=BENCH / "gov-dev")
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--gov-extra-qrels", type=Path, default=GOV_EXTRA_QRELS,
                    help="judgments of cases added since gov-dev was judged (\"\" for none)")
    ap.add_argument("--fit", action="store_true", help="refit the coefficients (cross-validated report)")
    ap.add_argument("--json", type=Path, help="write every number to this file")
    ap.add_argument("--write", action="store_true",
                    help="with --fit: write FIT_WEIGHTS / FIT_NEUTRAL into src/zhili/config.py and the "
                         "measured rates into tests/data/nofit_measured.json (what the tests check)")
    args = ap.parse_args(argv)

    msgs, gov = load_messages(args.messages, args.labels), load_gov(args.gov_dev, args.gov_extra_qrels if str(args.gov_extra_qrels) not in ("", ".") else None)
    items = msgs + gov
    engine = open_engine()
    print(f"query vectors from {VECTORS.name}: {preload_vectors(engine, msgs, VECTORS)} of {len(msgs)}")
    run(engine, items)
    report: dict = {"labels": len(msgs), "gov_dev": len(gov), "labels_file": args.labels.name,
                    "embedder": engine.embedder.name if engine.embedder is not None else "none"}

    flagged = np.array([it["flagged"] for it in items])
    off = [it["id"] for it in items if it["verdict"] == "off_topic"]
    report["current"] = {"labels": flag_numbers(msgs, flagged[:len(msgs)]),
                         "gov_dev": flag_numbers(gov, flagged[len(msgs):]), "off_topic": off}
    from zhili.config import MatchSettings

    threshold = MatchSettings().no_fit_threshold
    print_flags(f"No-fit flag, current settings (threshold {threshold}):",
                report["current"]["labels"], report["current"]["gov_dev"])
    print(f"  answered off_topic: {len(off)} {off[:5]}")
    caution = MatchSettings().caution_threshold
    warned = np.array([it["flagged"] or it["fit_score"] < caution for it in items])
    report["current"]["caution"] = {"threshold": caution, "labels": flag_numbers(msgs, warned[:len(msgs)]),
                                    "gov_dev": flag_numbers(gov, warned[len(msgs):])}
    cl = report["current"]["caution"]["labels"]["all"]
    print(f"  flagged or cautioned (fit_score < {caution}): no-fit {pct(cl['recall'])}, fit {pct(cl['false_flags'])}")
    fs = np.array([it["fit_score"] for it in items])
    yfit = np.array([it["fit"] for it in items])
    m = np.array([it["src"] == "labels" for it in items])
    print(f"  fit_score AUC: labels {auc(fs[m & yfit], fs[m & ~yfit]):.3f}, gov-dev {auc(fs[~m & yfit], fs[~m & ~yfit]):.3f}")
    pairs = [(p, it["qrels"].get(cid, 0) >= 2) for it in gov for (cid, _), p in zip(it["results"], it["percents"])]
    report["current"]["reliability"] = reliability(pairs)
    report["current"]["brier"] = float(np.mean([(p / 100 - r) ** 2 for p, r in pairs]))
    print(f"匹配度 on gov-dev (all queries, top 20; unjudged cases count as not relevant): Brier "
          f"{report['current']['brier']:.3f}; band, cases, mean percent, share relevant (grade ≥ 2)")
    for row in report["current"]["reliability"]:
        print(f"  {row['band']:>7}  {row['n']:4d}  {row['mean_percent']:5.1f}  {100 * row['relevant']:5.1f}")
    # gov-dev judged the old 223 cases only: the cases it judged (relevant or not) read apart
    judged = [(p, it["qrels"][cid] >= 2) for it in gov for (cid, _), p in zip(it["results"], it["percents"])
              if cid in it["qrels"]]
    report["current"]["reliability_judged"] = reliability(judged)
    report["current"]["brier_judged"] = float(np.mean([(p / 100 - r) ** 2 for p, r in judged])) if judged else None
    print(f"  the {len(judged)} of {len(pairs)} shown cases gov-dev judged: Brier {report['current']['brier_judged']:.3f}")
    for row in report["current"]["reliability_judged"]:
        print(f"  {row['band']:>7}  {row['n']:4d}  {row['mean_percent']:5.1f}  {100 * row['relevant']:5.1f}")

    report["latency_ms"] = latency(engine, items)
    print(f"problem_similarity takes {report['latency_ms']['added']:.2f} ms of a "
          f"{report['latency_ms']['answer']:.1f} ms answer ({len(items)} texts × 3, query vectors cached, top 10)")
    if args.fit:
        refit(items, msgs, gov, report)
        if args.write:
            write_fit(report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


CONFIG = ROOT / "src" / "zhili" / "config.py"
MEASURED = ROOT / "tests" / "data" / "nofit_measured.json"


def _replace_dict(source: str, name: str, value: dict) -> str:
    """Replace the `NAME = {...}` literal (possibly over several lines) in config.py's text."""

    m = re.search(rf"^{name} = \{{.*?\}}\n", source, flags=re.S | re.M)
    if m is None:
        raise SystemExit(f"{CONFIG}: {name} = {{…}} not found")
    items = [f'"{k}": {v}' for k, v in value.items()]
    lines, line = [], f"{name} = {{"
    for n, item in enumerate(items):
        piece = item + (", " if n < len(items) - 1 else "}")
        if len(line) + len(piece) > 100:
            lines.append(line.rstrip())
            line = " " * (len(name) + 4)
        line += piece
    lines.append(line)
    return source[:m.start()] + "\n".join(lines) + "\n" + source[m.end():]


def write_fit(report: dict) -> None:
    """The refit in place: coefficients into config.py, measured rates for the tests."""
    f, cv = report["fitted"], report["cross_validated"]
    text = CONFIG.read_text(encoding="utf-8")
    text = _replace_dict(text, "FIT_WEIGHTS", f["fit_weights"])
    text = _replace_dict(text, "FIT_NEUTRAL", f["fit_neutral"])
    for name, value in (("CAUTION_THRESHOLD", f["caution_threshold"]), ("FIT_EMBEDDER", json.dumps(report["embedder"]))):
        text, n = re.subn(rf"^{name} = .+$", f"{name} = {value}", text, count=1, flags=re.M)
        if n != 1:
            raise SystemExit(f"{CONFIG}: {name} = … not found")
    CONFIG.write_text(text, encoding="utf-8")
    lab = f["labels"]["all"]
    measured = {
        "labels": report["labels_file"], "no_fit": lab["no_fit"], "fit": lab["fit"],
        "in_sample_recall": round(lab["recall"], 4), "in_sample_false_flags": round(lab["false_flags"], 4),
        "cross_validated_recall": round(cv["labels"]["all"]["recall"], 4),
        "cross_validated_false_flags": round(cv["labels"]["all"]["false_flags"], 4),
        "cross_validated_auc": round(cv["auc_labels"], 4), "cut_off_probability": f["cut_off_probability"],
        "caution_threshold": f["caution_threshold"],
        "in_sample_caution_recall": round(f["caution_labels"]["all"]["recall"], 4),
        "in_sample_caution_fit": round(f["caution_labels"]["all"]["false_flags"], 4),
        "cross_validated_caution_recall": round(cv["caution"]["labels"]["all"]["recall"], 4),
        "cross_validated_caution_fit": round(cv["caution"]["labels"]["all"]["false_flags"], 4),
    }
    MEASURED.write_text(json.dumps(measured, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote FIT_WEIGHTS / FIT_NEUTRAL / CAUTION_THRESHOLD into {CONFIG.relative_to(ROOT)} and {MEASURED.relative_to(ROOT)}")


def refit(items: list[dict], msgs: list[dict], gov: list[dict], report: dict) -> None:
    y = np.array([it["fit"] for it in items], dtype=float)
    wts = np.array([GOV_WEIGHT if it["src"] == "gov-dev" else 1.0 for it in items])
    cv = cross_validated(items)
    m = np.array([it["src"] == "labels" for it in items])
    fit_mask = y == 1
    # cut-off: the highest fit probability that falsely flags at most TARGET of the fit messages
    # in cross-validation (flag when p < t); the intercept is then shifted by −logit(t) so that
    # the shipped fit_score crosses 0.5 exactly there (no_fit_threshold stays 0.5)
    cands = np.unique(np.round(cv, 3))
    ok = [t for t in cands if (cv[m & fit_mask] < t).mean() <= TARGET_FALSE_FLAGS]
    threshold = float(max(ok)) if ok else 0.5
    shift = -math.log(threshold / (1 - threshold))
    flagged_cv = cv < threshold
    report["cross_validated"] = {
        "threshold": threshold,
        "auc_labels": auc(cv[m & fit_mask], cv[m & ~fit_mask]),
        "auc_gov_dev": auc(cv[~m & fit_mask], cv[~m & ~fit_mask]),
        "labels": flag_numbers(msgs, flagged_cv[:len(msgs)]),
        "gov_dev": flag_numbers(gov, flagged_cv[len(msgs):]),
    }
    cvr = report["cross_validated"]
    print(f"\nCross-validated (5-fold × 5, threshold {threshold:.3f} chosen for ≤ {pct(TARGET_FALSE_FLAGS)} "
          f"false flags): AUC labels {cvr['auc_labels']:.3f}, gov-dev {cvr['auc_gov_dev']:.3f}")
    print_flags("  held-out flag:", cvr["labels"], cvr["gov_dev"])

    # caution: the raw cut-off under which CAUTION_COVERS of the no-fit messages fall (held out),
    # on the shipped (shifted) scale
    nofit_cv = np.sort(cv[m & ~fit_mask])
    raw_caution = float(nofit_cv[min(len(nofit_cv) - 1, math.ceil(CAUTION_COVERS * len(nofit_cv)))]) + 1e-6
    caution = round(1 / (1 + math.exp(-(math.log(raw_caution / (1 - raw_caution)) + shift))), 3)
    warned_cv = cv < raw_caution
    cvr["caution"] = {"threshold": caution, "labels": flag_numbers(msgs, warned_cv[:len(msgs)]),
                      "gov_dev": flag_numbers(gov, warned_cv[len(msgs):])}
    print_flags(f"  held-out flag or caution (fit_score < {caution}):", cvr["caution"]["labels"],
                cvr["caution"]["gov_dev"])

    X, neutral = matrix(items, FEATURES)
    b, coef = fit_logistic(X, y, wts)
    weights = {"intercept": round(b + shift, 4), **{n: round(float(c), 4) for n, c in zip(FEATURES, coef)}}
    neutral = {n: round(v, 4) for n, v in neutral.items()}
    p_in = predict((b, coef), X)
    report["fitted"] = {"fit_weights": weights, "fit_neutral": neutral, "cut_off_probability": round(threshold, 3),
                        "labels": flag_numbers(msgs, (p_in < threshold)[:len(msgs)]),
                        "gov_dev": flag_numbers(gov, (p_in < threshold)[len(msgs):]),
                        "caution_threshold": caution,
                        "caution_labels": flag_numbers(msgs, (p_in < raw_caution)[:len(msgs)])}
    print_flags("  in-sample with the refitted model:", report["fitted"]["labels"], report["fitted"]["gov_dev"])

    # 匹配度: Platt on gov-dev fit queries' shown cases, leave-one-query-out for the table
    Xc, yc, qc = calibration_rows(items)
    Xm, mneutral = matrix([{"f": dict(zip(MATCH_FEATURES, row))} for row in Xc], MATCH_FEATURES, key="f")
    loqo = np.zeros(len(yc))
    for q in np.unique(qc):
        tr = qc != q
        loqo[~tr] = predict(fit_logistic(Xm[tr], yc[tr], l2=0.1), Xm[~tr])
    mb, mcoef = fit_logistic(Xm, yc, l2=0.1)
    report["fitted"]["match_weights"] = {"intercept": round(mb, 4),
                                         **{n: round(float(c), 4) for n, c in zip(MATCH_FEATURES, mcoef)}}
    report["fitted"]["match_neutral"] = {n: round(v, 4) for n, v in mneutral.items()}
    # the shown percent = fit_score × relevance, fit_score being the shifted model; held-out
    cv_fit = {items[i]["id"]: 1 / (1 + math.exp(-(math.log(cv[i] / (1 - cv[i])) + shift))) for i in range(len(items))}
    pairs = [(100 * cv_fit[items[q]["id"]] * p, bool(r)) for p, r, q in zip(loqo, yc, qc)]
    for it in gov:
        if not it["fit"]:  # no-fit queries: nothing is relevant
            pairs += [(100 * cv_fit[it["id"]] * float(predict((mb, mcoef), matrix([{"f": f}], MATCH_FEATURES, mneutral, key="f")[0])[0]), False)
                      for _, f in it["results"]]
    report["cross_validated"]["reliability"] = reliability(pairs)
    brier = float(np.mean([(p / 100 - r) ** 2 for p, r in pairs]))
    report["cross_validated"]["brier"] = brier
    print(f"\n匹配度, held-out (leave one query out), gov-dev top {CALIBRATION_DEPTH}: Brier {brier:.3f}")
    for row in report["cross_validated"]["reliability"]:
        print(f"  {row['band']:>7}  {row['n']:4d}  {row['mean_percent']:5.1f}  {100 * row['relevant']:5.1f}")

    f = report["fitted"]
    print("\nPaste into src/zhili/config.py:")
    print(f"FIT_WEIGHTS = {json.dumps(f['fit_weights'])}")
    print(f"FIT_NEUTRAL = {json.dumps(f['fit_neutral'])}")
    print(f"MATCH_WEIGHTS = {json.dumps(f['match_weights'])}")
    print(f"MATCH_NEUTRAL = {json.dumps(f['match_neutral'])}")
    print(f"(no_fit_threshold stays 0.5: the intercept includes −logit({f['cut_off_probability']}))")
    print(f"Or, for a deployment with this embedder, under [match] in $ZHILI_HOME/zhili.toml: "
          f"fit_embedder = {json.dumps(report['embedder'])}, caution_threshold = {f['caution_threshold']}, "
          f"and fit_weights / fit_neutral / match_weights / match_neutral as inline tables")


if __name__ == "__main__":
    sys.exit(main())
