"""Embed the bundled library's new or changed passages into the shipped vector file.

The shipped file (src/zhili/data/vectors/<embedder>.npz) is keyed by sha256(embedder name +
passage), where the passage is title + problem + practice + mechanisms (`case_passage`): editing
a case's source, place, outcomes or domains never needs a new vector; a new case or a changed
title/problem/practice/mechanisms does. This embeds exactly those, ~0.3 s each on 2 cores, saving
after every chunk (rerun to resume), and keeps every existing vector.

It then does the same for the about vectors (title + problem, `zhili.retrieval.about`; the no-fit
signal `problem_similarity`) in src/zhili/data/vectors/about-<embedder>.npz: ~0.02 s per case.

    .venv/bin/python scripts/ship_vectors.py              # after merging new cases into cases.jsonl
    .venv/bin/python scripts/ship_vectors.py --dry-run    # only count what is missing
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhili import config  # noqa: E402
from zhili.cases.io import read_cases  # noqa: E402
from zhili.retrieval.about import SHIPPED_DIR, about_file, case_about  # noqa: E402
from zhili.retrieval.dense import VectorCache, case_passage, passage_key  # noqa: E402
from zhili.retrieval.index import SHIPPED_VECTORS, _safe  # noqa: E402

CHUNK = 32


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=config.BUNDLED_CASES)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    from zhili.retrieval.embedders import make_embedder

    embedder = make_embedder(config.MatchSettings().embedder)
    path = SHIPPED_VECTORS / f"{_safe(embedder.name)}.npz"
    cache = VectorCache.load(path)
    cases = read_cases(args.cases)
    todo = {}
    for case in cases:
        passage = case_passage(case)
        key = passage_key(embedder.name, passage)
        if key not in cache.vectors:
            todo[key] = passage
    print(f"{len(cases)} cases, {len(cache.vectors)} vectors shipped, {len(todo)} passages to embed", flush=True)
    about_path = about_file(SHIPPED_DIR, embedder.name)
    about = VectorCache.load(about_path)
    about_todo = {passage_key(embedder.name, case_about(c)): case_about(c) for c in cases}
    about_todo = {k: t for k, t in about_todo.items() if k not in about.vectors}
    print(f"{len(about.vectors)} about vectors shipped, {len(about_todo)} about texts to embed", flush=True)
    if args.dry_run:
        return
    embed_into(embedder, todo, cache, path)
    embed_into(embedder, about_todo, about, about_path)


def embed_into(embedder, todo: dict[str, str], cache: VectorCache, path: Path) -> None:
    """Embed `todo` (key → text) into `cache`, saving `path` after every chunk."""
    if not todo:
        return
    items = sorted(todo.items())
    start = time.time()
    for n in range(0, len(items), CHUNK):
        chunk = items[n:n + CHUNK]
        for (key, _), vec in zip(chunk, embedder.embed_passages([p for _, p in chunk])):
            cache.vectors[key] = vec
        cache.save(path)
        done = n + len(chunk)
        print(f"{done}/{len(items)}  {done / (time.time() - start):.2f} passages/s", flush=True)


if __name__ == "__main__":
    main()
