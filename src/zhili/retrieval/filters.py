"""Metadata filters applied before ranking, so top-k is always k cases that pass."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..cases import DOMAINS, LEADERSHIP, LEVELS, Case


class Filters(BaseModel):
    """Province, level, domain, leadership dimension, year range. Empty means no filter."""

    model_config = ConfigDict(extra="forbid")
    province: list[str] = Field(default_factory=list)
    level: list[str] = Field(default_factory=list)
    domain: list[str] = Field(default_factory=list)
    leadership: list[str] = Field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None

    @field_validator("province", mode="before")
    @classmethod
    def _trim_places(cls, v: object) -> object:
        """A blank box or a pasted trailing newline means "no such filter", not "match nothing"."""
        if isinstance(v, list):
            return [p.strip() for p in v if not isinstance(p, str) or p.strip()]
        return v

    @model_validator(mode="after")
    def _known_values(self) -> "Filters":
        for p in self.province:
            if len(p) > 40 or any(ord(ch) < 32 or ord(ch) == 127 for ch in p):
                raise ValueError(f"筛选条件 province 的取值无效：{p!r}（应为 1–40 字的地名，不含控制字符）")
        for name, allowed in (("level", LEVELS), ("domain", DOMAINS), ("leadership", LEADERSHIP)):
            bad = [v for v in getattr(self, name) if v not in allowed]
            if bad:
                raise ValueError(f"筛选条件 {name} 的取值无效：{'、'.join(bad)}（可选：{'、'.join(allowed)}）")
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError(f"年份范围无效：{self.year_from} 晚于 {self.year_to}")
        return self

    def is_empty(self) -> bool:
        return not (self.province or self.level or self.domain or self.leadership
                    or self.year_from or self.year_to)

    def accepts(self, case: Case) -> bool:
        """Cases without a year never pass a year filter: an unknown year is not in range."""
        if self.province and not any(p in (case.province, case.city) or p in case.place
                                     for p in self.province):
            return False
        if self.level and case.level not in self.level:
            return False
        if self.domain and not set(self.domain) & set(case.domains):
            return False
        if self.leadership and not set(self.leadership) & set(case.leadership):
            return False
        if self.year_from or self.year_to:
            if case.year is None:
                return False
            if self.year_from and case.year < self.year_from:
                return False
            if self.year_to and case.year > self.year_to:
                return False
        return True

    def mask(self, cases: list[Case]) -> np.ndarray:
        if self.is_empty():
            return np.ones(len(cases), dtype=bool)
        return np.fromiter((self.accepts(c) for c in cases), dtype=bool, count=len(cases))
