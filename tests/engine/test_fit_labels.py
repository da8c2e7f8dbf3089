"""The no-fit flag on real citizen messages, hand-labelled fit / no-fit against the bundled
library (tests/data/messages_fit_labels.jsonl), and on gov-dev.

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

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LABELS = DATA / "messages_fit_labels.jsonl"
VECTORS = DATA / "messages_query_vectors.npz"


def _bench() -> Path:
    env = os.environ.get("ZHILI_BENCH_DIR")
    for p in ([Path(env)] if env else []) + [ROOT.parent.parent / "shared" / "bench", Path("/work/shared/bench")]:
        if (p / "messages" / "messages.jsonl").is_file():
            return p
    pytest.skip("real messages not available (../shared/bench/messages; set ZHILI_BENCH_DIR)")


# The labels judge each message against the library as it was then: the first 223 bundled cases
# (case-0001 … case-0223). Cases added since may well fit messages labelled no-fit, so the flag is
# measured on that library; the grown library needs its own judgments (benchmarks/message_coverage.py).
LABELLED_LIBRARY = {f"case-{i:04d}" for i in range(1, 224)}

# Targets of issue 10: ≥ 70 % of no-fit messages flagged, ≤ 10 % of fit ones falsely flagged.
TARGET_RECALL = 0.70
TARGET_FALSE_FLAGS = 0.10


def _text_key():
    spec = importlib.util.spec_from_file_location("message_vectors", ROOT / "scripts" / "message_vectors.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.text_key


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    bench = _bench()
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    lines = BUNDLED_CASES.read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines if x.strip()]
    engine = cases_engine([case_from_record(r) for r in records if r["id"] in LABELLED_LIBRARY], home / "index")
    texts = {}
    for line in (bench / "messages" / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            texts[m["id"]] = m["text"]
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
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
    yield engine, labels, answers, bench
    mp.undo()


def test_labels_file_is_well_formed_and_large_enough():
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(labels) >= 120 and len({lab["id"] for lab in labels}) == len(labels)
    assert all(isinstance(lab["fit"], bool) and lab["reason"].strip() for lab in labels)
    assert {"fit", "borderline", "id", "reason"} == set().union(*map(set, labels))


def _rates(labels, answers, clear_only=False):
    rows = [lab for lab in labels if not (clear_only and lab["borderline"])]
    no_fit = [answers[lab["id"]].no_fit for lab in rows if not lab["fit"]]
    fit = [answers[lab["id"]].no_fit for lab in rows if lab["fit"]]
    return sum(no_fit) / len(no_fit), sum(fit) / len(fit)


def test_labels_meet_the_targets(labelled):
    """Measured: 73.1 % of the 167 no-fit messages flagged, 7.4 % (4) of the 54 fit ones;
    cross-validated 73.7 % / 9.3 % (benchmarks/nofit.py --fit)."""
    _, labels, answers, _ = labelled
    recall, false_flags = _rates(labels, answers)
    assert false_flags <= TARGET_FALSE_FLAGS, f"{false_flags:.1%} of fit messages flagged"
    assert recall >= TARGET_RECALL, f"only {recall:.1%} of no-fit messages flagged"


def test_clear_labels_meet_both_targets(labelled):
    _, labels, answers, _ = labelled
    recall, false_flags = _rates(labels, answers, clear_only=True)
    assert recall >= TARGET_RECALL and false_flags <= TARGET_FALSE_FLAGS


def test_real_messages_are_never_off_topic(labelled):
    _, _, answers, _ = labelled
    assert [i for i, a in answers.items() if a.verdict == "off_topic"] == []


def test_gov_dev_flags_exactly_its_no_fit_queries(labelled):
    engine, _, _, bench = labelled
    qrels: dict[str, dict[str, int]] = {}
    for line in (bench / "gov-dev" / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q, c, g = line.split("\t")
            qrels.setdefault(q, {})[c] = int(g)
    queries = [json.loads(x) for x in (bench / "gov-dev" / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    flagged = {q["id"] for q in queries if engine.recommend(q["text"], top_k=3, explain=False).no_fit}
    truth = {q["id"] for q in queries if not any(g >= 2 for g in qrels.get(q["id"], {}).values())}
    assert flagged == truth
