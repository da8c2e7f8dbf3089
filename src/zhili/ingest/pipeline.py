"""One document → its machine-readable result (the `--json` line), without touching storage.

{"file", "format", "text", "error": null | {"code", "message"}, "cases": [{"case": {…},
"provenance": {"<field>": [[start, end], …]}, "duplicates": [{"case_id", "similarity"}],
"notes": […]}], "sha256", "pages", "segments"} — offsets index `text`; cases in document order.
"""

from __future__ import annotations

from typing import Any

from .dedup import BatchIndex, DuplicateIndex, case_text
from .errors import IngestError
from .extract import bundled_mechanisms, check_provenance, extract_case
from .readers import Document, read_document
from .segment import segments


def draft_id(sha256: str, n: int) -> str:
    """Stable id of the n-th case of a file (same file → same ids): ingest-<sha8>-<nn>."""
    return f"ingest-{sha256[:10]}-{n:02d}"


def analyse(data: bytes, filename: str, index: DuplicateIndex | BatchIndex | None = None,
            llm: Any = None) -> dict[str, Any]:
    """Read, segment, extract and compare one file; errors become the `error` member."""
    try:
        doc = read_document(data, filename)
    except IngestError as exc:
        return {"file": filename, "format": _fmt(filename), "text": "", "error": exc.to_dict(), "cases": [],
                "sha256": "", "pages": 0, "segments": []}
    return analyse_document(doc, index, llm)


def _fmt(filename: str) -> str:
    from pathlib import Path

    from .readers import FORMATS

    return FORMATS.get(Path(filename).suffix.lower(), Path(filename).suffix.lower().lstrip("."))


def analyse_document(doc: Document, index: DuplicateIndex | BatchIndex | None = None, llm: Any = None) -> dict[str, Any]:
    library_names = bundled_mechanisms()
    out_cases: list[dict[str, Any]] = []
    segs = segments(doc)
    for n, seg in enumerate(segs, start=1):
        case, prov, notes = extract_case(doc, seg, library_names)
        if llm is not None:
            case, prov, dropped = llm.refine(doc.text[seg.start:seg.end], seg.start, case, prov)
            notes.extend(dropped)
        bad = check_provenance(doc.text, case, prov)
        if bad:  # never happens by construction; if it does, the value goes, not the rule
            notes.extend(f"已删除无原文依据的值：{b}" for b in bad)
            case, prov = _drop_unsupported(case, prov, bad)
        case = {"id": draft_id(doc.sha256, n), **case}
        dups = index.similar(case_text(case)) if index is not None else []
        if index is not None:
            index.add(case["id"], case_text(case))
        out_cases.append({"case": case, "provenance": prov, "duplicates": dups, "notes": notes,
                          "segment": [seg.start, seg.end]})
    return {"file": doc.file, "format": doc.format, "text": doc.text, "error": None, "cases": out_cases,
            "sha256": doc.sha256, "pages": doc.pages, "segments": [[s.start, s.end] for s in segs]}


def _drop_unsupported(case: dict[str, Any], prov: dict[str, Any], bad: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {b.split(":", 1)[0] for b in bad}
    for f in fields:
        if "[" in f:
            name, idx = f.split("[", 1)
            i = int(idx.split("]", 1)[0])
            if name in case and isinstance(case[name], list) and i < len(case[name]):
                case[name][i] = None
        elif f.startswith("source."):
            case["source"][f.split(".", 1)[1]] = ""
        elif f in case:
            case[f] = None if f == "year" else ""
        prov.pop(f, None)
    for name in ("outcomes", "mechanisms", "domains", "leadership", "actors"):
        case[name] = [v for v in case.get(name, []) if v is not None]
    return case, prov


def case_fields(case: dict[str, Any]) -> dict[str, Any]:
    """The payload as the Case model takes it: `source.publisher`/`trust` only where the model
    has them (another build may not yet)."""
    from ..cases.model import Source

    src = {k: v for k, v in case.get("source", {}).items() if k in Source.model_fields}
    return {**case, "source": src}
