"""How many cases the bundled library holds: tests count against this, not a literal, so the
library can grow without touching every test."""

from zhili.config import BUNDLED_CASES

BUNDLED = sum(1 for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if line.strip())
