"""Write tests/data/messages_query_vectors.npz: the query vectors of the labelled messages.

The labelled real messages (tests/data/messages_fit_labels.jsonl; texts in
../shared/bench/messages, not in the repository) are checked by a test and by
benchmarks/nofit.py. Embedding them costs ~0.1 s each, so their vectors are shipped: keyed by
a hash of exactly the text the engine embeds (`Engine.dense_text`), so a change to the
analyser or to `query_embed_chars` makes the file miss rather than lie. Only vectors are
stored, never the messages. Rerun after changing the embedder or the text handling:

    python scripts/message_vectors.py [--messages DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "messages_query_vectors.npz"
LABELS = ROOT / "tests" / "data" / "messages_fit_labels.jsonl"


def text_key(dense_text: str) -> str:
    """The file's key for one embedded text."""
    return hashlib.sha256(dense_text.encode("utf-8")).hexdigest()[:24]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = ROOT.parent.parent / "shared" / "bench" / "messages"
    ap.add_argument("--messages", type=Path, default=default if default.is_dir() else Path("/work/shared/bench/messages"))
    args = ap.parse_args(argv)
    os.environ.setdefault("ZHILI_HOME", tempfile.mkdtemp(prefix="zhili-vectors-"))

    from zhili.cases import case_from_record
    from zhili.config import BUNDLED_CASES
    from zhili.wiring import cases_engine

    wanted = [json.loads(x)["id"] for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts = {}
    for line in (args.messages / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            texts[m["id"]] = m["text"]
    cases = [case_from_record(json.loads(x)) for x in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    engine = cases_engine(cases, Path(os.environ["ZHILI_HOME"]) / "index", use_rules=False)
    keys, vectors = [], []
    for mid in wanted:
        dense_text = engine.dense_text(engine.analyze(texts[mid]))
        keys.append(text_key(dense_text))
        vectors.append(engine.embedder.embed_queries([dense_text])[0])
    np.savez_compressed(OUT, keys=np.array(keys), vectors=np.stack(vectors).astype(np.float32),
                        embedder=np.array(engine.embedder.name))
    print(f"{OUT}: {len(keys)} vectors ({engine.embedder.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
