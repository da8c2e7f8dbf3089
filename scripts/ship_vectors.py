"""Embed the bundled library's new or changed passages into the shipped vector file.

The shipped file (src/zhili/data/vectors/<embedder>.npz) is keyed by sha256(embedder name +
passage), where the passage is title + problem + practice + mechanisms (`case_passage`): editing
a case's source, place, outcomes or domains never needs a new vector; a new case or a changed
title/problem/practice/mechanisms does. This embeds exactly those, ~0.3 s each on 2 cores, saving
after every chunk (rerun to resume), and drops the vectors of texts no bundled case has any more
(a workspace still holding an old text embeds it once at index time).

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
from zhili.retrieval.dense import VectorCache, case_passage, embed_into, missing_texts, passage_key  # noqa: E402
from zhili.retrieval.index import SHIPPED_VECTORS, _safe  # noqa: E402

CHUNK = 32


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=config.BUNDLED_CASES)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    from zhili.retrieval.embedders import make_embedder

    embedder = make_embedder(config.MatchSettings().embedder)
    cases = read_cases(args.cases)
    print(f"{len(cases)} cases", flush=True)
    ship(embedder, [case_passage(c) for c in cases], SHIPPED_VECTORS / f"{_safe(embedder.name)}.npz",
         "passages", args.dry_run)
    ship(embedder, [case_about(c) for c in cases], about_file(SHIPPED_DIR, embedder.name), "about texts",
         args.dry_run)


def ship(embedder, texts: list[str], path: Path, what: str, dry_run: bool) -> None:
    """Embed the texts missing from the shipped file at `path` (saving after every chunk) and drop
    the vectors no bundled case uses any more (an edited or removed case's old text)."""
    cache = VectorCache.load(path)
    wanted = {passage_key(embedder.name, t) for t in texts}
    todo = missing_texts(embedder.name, texts, cache)
    stale = sorted(set(cache.vectors) - wanted)
    print(f"{what}: {len(cache.vectors)} shipped, {len(todo)} to embed, {len(stale)} no longer used", flush=True)
    if dry_run:
        return
    for key in stale:
        del cache.vectors[key]
    start = time.time()

    def saved(done: int, total: int) -> None:
        cache.save(path)
        print(f"{done}/{total}  {done / (time.time() - start):.2f} {what}/s", flush=True)

    embed_into(embedder, todo, cache, chunk=CHUNK, after_chunk=saved)
    if stale and not todo:
        cache.save(path)


if __name__ == "__main__":
    main()
