"""案例入库: documents a county already holds (Word, PDF, saved web pages, text) become draft
cases with provenance — every extracted value keeps the character span(s) of the document text
it came from, so a reviewer can check it and nothing is invented.

Pipeline: `readers.read_document` (bytes → plain text + blocks) → `segment.segments` (where each
case starts and ends) → `extract.extract_case` (fields + spans) → `dedup` (library and batch)
→ `service.IngestService` (batches, drafts, review; used by CLI, API and web alike).
"""

from .errors import IngestError
from .readers import Document, read_document

__all__ = ["Document", "IngestError", "read_document"]
