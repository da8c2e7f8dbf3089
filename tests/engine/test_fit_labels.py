"""The no-fit flag on real citizen messages, hand-labelled fit / no-fit against the bundled
(grown, 1,000-case) library (tests/data/messages_fit_labels_grown.jsonl), and on gov-dev.

Targets of issue 10: ≥ 70 % of no-fit messages flagged, ≤ 10 % of fit ones falsely flagged. On
the grown library the seven fit signals reach ~44 % of the no-fit messages at ≤ 10 % false flags
(cross-validated; the exact rates of the last refit are in tests/data/nofit_measured.json): the
recall target is not met and is marked as a strict expected failure (it fails loudly once met),
while the false-flag target and a floor at the measured recall are checked. Answers between the
flag and `caution_threshold` carry a caution line (核对做法是否适用); flag or caution reach ≥ 70 %
of the no-fit messages, at the price of a caution on about a third of the fit ones, also checked.
After new labels or cases: `python benchmarks/nofit.py --fit --write` refits, writes the
coefficients and the caution threshold into src/zhili/config.py and the measured rates into
tests/data/nofit_measured.json, which these tests check (floors: one message under the measured
in-sample rates).

The old labels (tests/data/messages_fit_labels.jsonl, judged against case-0001 … case-0223) are
no longer checked on that 223-case slice: with the coefficients fitted on the grown library it
flags 75.4 % of the old no-fit messages but 29.6 % of the old fit ones (target ≤ 10 %) — the
signals' scale moved (every message has more near neighbours among 1,000 cases, so the refit
cut-off sits higher), and the slice is no longer the library anyone is answered from.

The messages themselves are not in the repository (../shared/bench/messages; see its README):
without them these tests are skipped. Their query vectors are shipped
(tests/data/messages_query_vectors.npz, written by scripts/message_vectors.py), so nothing is
embedded and the whole set runs in seconds. benchmarks/nofit.py prints the same numbers plus
cross-validated ones.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from zhili.wiring import cases_engine
from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.engine import Engine
from zhili.answer import CAUTION_MESSAGE

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LABELS = DATA / "messages_fit_labels_grown.jsonl"
OLD_LABELS = DATA / "messages_fit_labels.jsonl"
GOV_EXTRA_QRELS = DATA / "gov_dev_grown_qrels.tsv"
VECTORS = DATA / "messages_query_vectors.npz"


def _bench() -> Path:
    env = os.environ.get("ZHILI_BENCH_DIR")
    for p in ([Path(env)] if env else []) + [ROOT.parent.parent / "shared" / "bench", Path("/work/shared/bench")]:
        if (p / "messages" / "messages.jsonl").is_file():
            return p
    pytest.skip("real messages not available (../shared/bench/messages; set ZHILI_BENCH_DIR)")


# Targets of issue 10: ≥ 70 % of no-fit messages flagged, ≤ 10 % of fit ones falsely flagged.
TARGET_RECALL = 0.70
TARGET_FALSE_FLAGS = 0.10
# What the last refit measured (benchmarks/nofit.py --fit --write). The floor is one message under
# the in-sample recall, so that a change to the signals or the library that loses recall shows up.
MEASURED = json.loads((DATA / "nofit_measured.json").read_text(encoding="utf-8"))
MEASURED_RECALL_FLOOR = MEASURED["in_sample_recall"] - 1 / MEASURED["no_fit"]


def _text_key():
    spec = importlib.util.spec_from_file_location("message_vectors", ROOT / "scripts" / "message_vectors.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.text_key


def _answer_all(tmp_path_factory, library: set[str] | None, labels_path: Path):
    bench = _bench()
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    lines = BUNDLED_CASES.read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines if x.strip()]
    engine = cases_engine([case_from_record(r) for r in records if library is None or r["id"] in library],
                          home / "index")
    texts = {}
    for line in (bench / "messages" / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            texts[m["id"]] = m["text"]
    labels = [json.loads(x) for x in labels_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    shipped = np.load(VECTORS, allow_pickle=False)
    if str(shipped["embedder"]) != engine.embedder.name:
        pytest.skip(f"shipped vectors are for {shipped['embedder']}, the engine uses {engine.embedder.name}")
    vectors = dict(zip(shipped["keys"].tolist(), shipped["vectors"]))
    key = _text_key()
    answers = {}
    for lab in labels:
        dense_text = engine.dense_text(engine.analyze(texts[lab["id"]]))
        assert key(dense_text) in vectors, f"{lab['id']}: rerun scripts/message_vectors.py"
        engine.query_cache[dense_text] = np.asarray(vectors[key(dense_text)], dtype=np.float32)
        answers[lab["id"]] = engine.recommend(texts[lab["id"]], top_k=3, explain=False)
    return mp, (engine, labels, answers, bench)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """The grown labels answered by the bundled (grown) library."""
    mp, out = _answer_all(tmp_path_factory, None, LABELS)
    yield out
    mp.undo()


def test_measured_rates_are_those_of_the_current_labels():
    """nofit_measured.json comes from a refit on exactly these labels (rerun
    `benchmarks/nofit.py --fit --write` after adding labels)."""
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert MEASURED["labels"] == LABELS.name
    assert (MEASURED["no_fit"], MEASURED["fit"]) == (sum(not lab["fit"] for lab in labels),
                                                     sum(lab["fit"] for lab in labels))
    assert MEASURED["cross_validated_false_flags"] <= TARGET_FALSE_FLAGS


def test_labels_file_is_well_formed_and_large_enough():
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(labels) >= 120 and len({lab["id"] for lab in labels}) == len(labels)
    assert all(isinstance(lab["fit"], bool) and lab["reason"].strip() for lab in labels)
    assert {"fit", "borderline", "id", "reason", "source"} <= set().union(*map(set, labels))
    assert set().union(*map(set, labels)) <= {"fit", "borderline", "id", "reason", "source", "top3"}
    # the rows judged last name the top 3 they were judged on (to re-judge those whose top 3 changed)
    assert all(len(lab["top3"]) == 3 for lab in labels if lab["source"] == "after-growth-rest")
    # carried-over old labels are fit ones only (every old case is still in the library; an old
    # no-fit may have a fitting new case, so those are unknown and left out)
    assert all(lab["fit"] for lab in labels if lab["source"] == "old-label")
    assert {lab["source"] for lab in labels} == {"after-growth", "old-label", "after-growth-rest"}
    old = {json.loads(x)["id"] for x in OLD_LABELS.read_text(encoding="utf-8").splitlines() if x.strip()}
    assert {lab["id"] for lab in labels} <= old


def _rates(labels, answers, clear_only=False):
    rows = [lab for lab in labels if not (clear_only and lab["borderline"])]
    no_fit = [answers[lab["id"]].no_fit for lab in rows if not lab["fit"]]
    fit = [answers[lab["id"]].no_fit for lab in rows if lab["fit"]]
    return sum(no_fit) / len(no_fit), sum(fit) / len(fit)


def test_labels_keep_false_flags_under_the_target_and_recall_at_the_measured_level(labelled):
    """Measured rates: tests/data/nofit_measured.json (benchmarks/nofit.py --fit). The cut-off is chosen in cross-validation, so in-sample may land a message either side of 10 %:
    the check allows one message of slack."""
    _, labels, answers, _ = labelled
    recall, false_flags = _rates(labels, answers)
    n_fit = sum(lab["fit"] for lab in labels)
    assert false_flags <= TARGET_FALSE_FLAGS + 1 / n_fit, f"{false_flags:.1%} of fit messages flagged"
    assert recall >= MEASURED_RECALL_FLOOR, f"only {recall:.1%} of no-fit messages flagged"


@pytest.mark.xfail(strict=True, reason="after the library grew (1,042 cases) the seven fit signals reach ~44 % recall at "
                   "≤ 10 % false flags cross-validated (47 % in-sample), not 70 % "
                   "(docs/benchmarks.md, 'No fit: the problem a case addresses')")
def test_labels_meet_the_recall_target(labelled):
    _, labels, answers, _ = labelled
    recall, _ = _rates(labels, answers)
    assert recall >= TARGET_RECALL, f"only {recall:.1%} of no-fit messages flagged"


def test_flag_or_caution_reaches_the_recall_target(labelled):
    """The caution line (fit answers under caution_threshold) with the flag covers ≥ 70 % of the
    no-fit messages; the share of fit messages warned stays at what the refit measured (one
    message of slack each way)."""
    _, labels, answers, _ = labelled
    no_fit = [lab["id"] for lab in labels if not lab["fit"]]
    fit = [lab["id"] for lab in labels if lab["fit"]]

    def warned(i: str) -> bool:
        a = answers[i]
        assert not (a.no_fit and a.caution), f"{i}: flagged and cautioned"
        return a.no_fit or a.caution
    covered = sum(map(warned, no_fit)) / len(no_fit)
    fit_warned = sum(map(warned, fit)) / len(fit)
    assert covered >= TARGET_RECALL - 1 / len(no_fit), f"only {covered:.1%} of no-fit messages flagged or cautioned"
    assert covered >= MEASURED["in_sample_caution_recall"] - 1 / len(no_fit)
    assert fit_warned <= MEASURED["in_sample_caution_fit"] + 1 / len(fit), f"{fit_warned:.1%} of fit ones warned"
    assert all(answers[i].message == CAUTION_MESSAGE for i in no_fit + fit if answers[i].caution)


def test_clear_labels_keep_false_flags_under_the_target(labelled):
    _, labels, answers, _ = labelled
    recall, false_flags = _rates(labels, answers, clear_only=True)
    assert false_flags <= TARGET_FALSE_FLAGS and recall >= MEASURED_RECALL_FLOOR


def test_real_messages_are_never_off_topic(labelled):
    _, _, answers, _ = labelled
    assert [i for i, a in answers.items() if a.verdict == "off_topic"] == []


def test_gov_dev_flags_exactly_its_no_fit_queries(labelled):
    """No-fit per gov-dev's qrels plus the new cases judged since (q072 dogs and q078 秸秆禁烧 fit now)."""
    engine, _, _, bench = labelled
    qrels: dict[str, dict[str, int]] = {}
    for path in (bench / "gov-dev" / "qrels.tsv", GOV_EXTRA_QRELS):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q, c, g = line.split("\t")
                qrels.setdefault(q, {})[c] = int(g)
    queries = [json.loads(x) for x in (bench / "gov-dev" / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    flagged = {q["id"] for q in queries if engine.recommend(q["text"], top_k=3, explain=False).no_fit}
    truth = {q["id"] for q in queries if not any(g >= 2 for g in qrels.get(q["id"], {}).values())}
    assert flagged == truth

