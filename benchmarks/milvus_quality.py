"""gov-dev quality and per-query latency: the Engine on the Milvus backend vs the embedded one.

    python benchmarks/milvus_quality.py [EVAL_DIR] [--uri URI] [--token TOKEN] [--reps N]
                                        [--scale N] [--analyzers]

Both engines rank the bundled library with the same analyzer, shipped vectors, settings and
rules; only candidate generation differs. Without --uri the Milvus backend runs on milvus-lite
in a temporary directory (the CI test bed; slow by design, see docs/milvus.md). Prints numbers,
asserts nothing; the machine is shared and noisy, so compare the two columns of one run.
`--scale N` also times the Milvus backend's top-k search alone over N cases (the bundled ones
repeated under new ids, with their shipped vectors). `--analyzers` compares BM25 alone (nDCG@10)
with zhili's tokens against Milvus's own jieba analyzer on the normalised text, with and without
zhili's lexicon as jieba's dictionary (milvus-lite only).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from zhili.cases.io import read_cases
from zhili.config import BUNDLED_CASES, MatchSettings
from zhili.engine import Engine
from zhili.eval.dataset import load_eval_dir
from zhili.eval.runner import report, run_engine
from zhili.retrieval.milvus import MilvusBackend
from zhili.retrieval.sparse import case_document
from zhili.wiring import cases_engine


def milvus_engine(base: Engine, uri: str, token: str | None, collection: str) -> Engine:
    """The embedded engine's analyzer, embedder, rules and vectors over a Milvus collection."""
    dim = None if base.backend.index.vectors is None else int(base.backend.index.vectors.shape[1])
    s = base.settings
    backend = MilvusBackend.open(uri, token=token, collection=collection, dim=dim,
                                 bm25=(s.bm25_k1, s.bm25_b))
    if backend.count():
        backend.drop()
        backend = MilvusBackend.open(uri, token=token, collection=collection, dim=dim,
                                     bm25=(s.bm25_k1, s.bm25_b))
    cases = base.backend.index.cases
    tokens = [base.analyzer.analyze_document(case_document(c)) for c in cases]
    t0 = time.perf_counter()
    backend.upsert(cases, tokens, None if base.backend.index.vectors is None else base.backend.index.vectors)
    print(f"milvus load: {len(cases)} cases in {1000 * (time.perf_counter() - t0):.0f} ms")
    return Engine(backend, base.analyzer, base.embedder, base.settings, base.rules,
                  rules_problem=base.rules_problem)


def scale_latency(base: Engine, uri: str, token: str | None, n: int, texts: list[str]) -> None:
    """Load n cases (bundled ones repeated) and time backend.search on the top-k path."""
    from zhili.retrieval.filters import Filters
    cases, vectors = base.backend.index.cases, base.backend.index.vectors
    tokens = [base.analyzer.analyze_document(case_document(c)) for c in cases]
    backend = MilvusBackend.open(uri, token=token, collection="zhili_scale", dim=vectors.shape[1],
                                 exhaustive_below=0)
    if backend.count():
        backend.drop()
        backend = MilvusBackend.open(uri, token=token, collection="zhili_scale",
                                     dim=vectors.shape[1], exhaustive_below=0)
    t0 = time.perf_counter()
    rows = range(n)  # one call: on milvus-lite a later upsert rewrites the collection (see docs)
    backend.upsert([cases[i % len(cases)].model_copy(update={"id": f"s{i:07d}"}) for i in rows],
                   [tokens[i % len(cases)] for i in rows], vectors[[i % len(cases) for i in rows]])
    print(f"\nscale: loaded {backend.count()} cases in {time.perf_counter() - t0:.0f} s")
    queries = [(base.analyzer.analyze(t).tokens, base.query_vector(base.analyzer.analyze(t).text)) for t in texts]
    for label, f in (("no filter", Filters()), ("level=村社区", Filters(level=["村社区"]))):
        samples = []
        for toks, vec in queries:
            s = time.perf_counter()
            backend.search(toks, vec, 200, f)
            samples.append(1000 * (time.perf_counter() - s))
        for name, fn in (("bm25 only", lambda toks, vec: backend._bm25(" ".join(toks), "", 200)),
                         ("dense only", lambda toks, vec: backend._dense(vec, "", 200))) if not f.level else ():
            part = []
            for toks, vec in queries:
                s = time.perf_counter()
                fn(toks, vec)
                part.append(1000 * (time.perf_counter() - s))
            print(f"  {name:22s} p50 {statistics.median(part):.0f} ms")
        print(f"  search k=200 {label:9s} p50 {statistics.median(samples):.0f} ms  max {max(samples):.0f} ms")


def analyzer_comparison(base: Engine, evalset, directory: Path) -> None:
    """BM25-only nDCG@10 with each way of analysing Chinese text in Milvus."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    from zhili.eval.metrics import evaluate
    from zhili.retrieval.milvus import token_text

    cases, an = base.backend.index.cases, base.analyzer
    docs = [case_document(c) for c in cases]
    variants = {
        "zhili tokens (the backend)": ({"tokenizer": "standard"},
                                       [token_text(an.analyze_document(d)) for d in docs],
                                       lambda t: token_text(list(dict.fromkeys(an.analyze(t).tokens)))),
        "milvus jieba": ({"tokenizer": "jieba"}, [an.normalize(d) for d in docs],
                         lambda t: an.analyze(t).text),
        "milvus jieba + zhili lexicon": ({"tokenizer": {"type": "jieba", "dict": sorted(an.lexicon)}},
                                         [an.normalize(d) for d in docs], lambda t: an.analyze(t).text),
    }
    client = MilvusClient(str(directory / "analyzers.db"))
    print("\nBM25 alone, gov-dev (milvus-lite):")
    for n, (name, (params, texts, query)) in enumerate(variants.items()):
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params=params)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))
        index = client.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        client.create_collection(f"a{n}", schema=schema, index_params=index)
        client.insert(f"a{n}", [{"id": c.id, "text": t} for c, t in zip(cases, texts)])
        client.flush(f"a{n}")
        run = {q.id: [h["id"] for h in client.search(f"a{n}", data=[query(q.text)], anns_field="sparse",
                                                      limit=10, output_fields=["id"])[0]]
               for q in evalset.queries}
        print(f"  {name:30s} nDCG@10 {evaluate(run, evalset.qrels).overall['ndcg@10']:.4f}")


def latency(engine: Engine, texts: list[str], reps: int) -> tuple[float, float]:
    """p50/p95 ms of recommend with the query vector cached (retrieval + ranking only)."""
    for t in texts:
        engine.recommend(t)
    samples = []
    for _ in range(reps):
        for t in texts:
            s = time.perf_counter()
            engine.recommend(t, top_k=10)
            samples.append(1000 * (time.perf_counter() - s))
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("evalset", nargs="?", default="../shared/bench/gov-dev")
    ap.add_argument("--uri", help="Milvus server URI; default milvus-lite in a temp dir")
    ap.add_argument("--token", default=None)
    ap.add_argument("--collection", default="zhili_bench")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scale", type=int, default=0, help="also time top-k search over N cases")
    ap.add_argument("--analyzers", action="store_true", help="also compare Chinese analyzers")
    args = ap.parse_args()
    evalset = load_eval_dir(Path(args.evalset))
    texts = [q.text for q in evalset.queries]
    with tempfile.TemporaryDirectory() as tmp:
        embedded = cases_engine(read_cases(BUNDLED_CASES), Path(tmp) / "index",
                                     settings=MatchSettings())
        milvus = milvus_engine(embedded, args.uri or str(Path(tmp) / "milvus.db"), args.token,
                               args.collection)
        for use_rules in (True, False):
            print(f"\nrules {'on' if use_rules else 'off'}")
            for name, engine in (("embedded", embedded), ("milvus", milvus)):
                run, fit, flags = run_engine(engine, evalset, depth=30, use_rules=use_rules)
                m = report(evalset, run, fit, flags, mode="full", use_rules=use_rules, depth=30)
                metrics = m.to_dict()["metrics"]
                print(f"  {name:9s} nDCG@10 {metrics['ndcg@10']:.4f}  nDCG@30 {metrics['ndcg@30']:.4f}  "
                      f"Recall@10 {metrics['recall@10']:.4f}  MRR {metrics['mrr']:.4f}  "
                      f"no-fit AUC {m.to_dict()['no_fit']['auc']}")
        agree = sum(
            [r.case_id for r in embedded.recommend(t).results] == [r.case_id for r in milvus.recommend(t).results]
            for t in texts)
        print(f"\nidentical top-10 lists: {agree}/{len(texts)} queries")
        for name, engine in (("embedded", embedded), ("milvus", milvus)):
            p50, p95 = latency(engine, texts, args.reps)
            print(f"latency {name:9s}: p50 {p50:.1f} ms  p95 {p95:.1f} ms  (n={args.reps * len(texts)}, "
                  f"query vector cached)")
        if args.analyzers:
            analyzer_comparison(embedded, evalset, Path(tmp))
        if args.scale:
            scale_latency(embedded, args.uri or str(Path(tmp) / "milvus.db"), args.token, args.scale, texts)


if __name__ == "__main__":
    main()
