"""Embed an external corpus once, outside CI, into zhili's vector cache (resumable).

Long corpora (LeCaRD: 9,088 documents, median 2,791 characters) take hours on 2 cores, so this
saves the cache every chunk; rerunning continues where it stopped. The engine then finds every
vector in the cache and embeds nothing. With `--reverse` a second process (own ZHILI_HOME) works
from the other end; merge the two .npz caches afterwards with `VectorCache.load(a, b).save(...)`.

    ZHILI_HOME=bench-cache/lecard-home python benchmarks/embed_corpus.py ../shared/bench/lecard/corpus.jsonl.gz
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from zhili import config
from zhili.cases.io import read_cases
from zhili.retrieval.dense import VectorCache, case_passage, embed_into, missing_texts
from zhili.retrieval.embedders import make_embedder
from zhili.retrieval.index import _safe

CHUNK = 64


def main(corpus: str, reverse: bool = False) -> None:
    cases = read_cases(Path(corpus))
    embedder = make_embedder(config.MatchSettings.load().embedder)
    path = config.home() / "vectors" / f"{_safe(embedder.name)}.npz"
    cache = VectorCache.load(path)
    todo = missing_texts(embedder.name, [case_passage(c) for c in cases], cache)
    print(f"{len(cases)} docs, {len(cases) - len(todo)} cached, {len(todo)} to embed", flush=True)
    start = time.time()

    def saved(done: int, total: int) -> None:
        cache.save(path)
        rate = done / (time.time() - start)
        print(f"{done}/{total}  {rate:.2f} docs/s  eta {(total - done) / rate / 60:.0f} min", flush=True)

    # a second process can work from the end (--reverse)
    embed_into(embedder, todo, cache, chunk=CHUNK, after_chunk=saved, reverse=reverse)


if __name__ == "__main__":
    main(sys.argv[1], reverse="--reverse" in sys.argv[2:])
