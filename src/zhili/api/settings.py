"""Server settings: `[api]` in `$ZHILI_HOME/zhili.toml`, each with a default that is safe to run."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from typing import Any

from .. import config

MB = 1024 * 1024


@dataclass
class ApiSettings:
    """Limits and policies of the HTTP service."""

    require_login_for_search: bool = False  # True: recommend/search/case reading need a login
    max_body_bytes: int = 1 * MB            # JSON requests
    max_upload_bytes: int = 20 * MB         # case imports and batch work orders
    max_batch_rows: int = 1000              # work orders per batch request
    max_batch_results: int = 20_000         # work orders × results each (top), per batch request
    anonymous_batch_rows: int = 100         # the same two limits without a login
    anonymous_batch_results: int = 1_000
    anonymous_answers_per_minute: int = 120  # per client: 1 per search, 1 per work order; 0 = off
    session_https_only: bool = False        # set True behind HTTPS so the cookie is never sent in clear
    token_days: int = 90                    # lifetime of a new API token (1–3650 days)
    trusted_proxies: list[str] = field(default_factory=list)  # reverse proxies whose X-Forwarded-For counts
    require_review: bool = False            # four eyes: editors cannot publish their own changes
    rules_require_approval: bool = False    # four eyes for rules: a draft is published after another person approves it

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse values that would fail later, with a Chinese reason (ValueError)."""
        from ..store.users import check_days
        from ..access.proxies import parse_networks

        check_days(self.token_days)
        parse_networks(self.trusted_proxies)

    @property
    def proxy_networks(self) -> tuple[Any, ...]:
        """`trusted_proxies` as networks (parsed per call: a handful, once per login)."""
        from ..access.proxies import parse_networks

        return parse_networks(self.trusted_proxies)

    @classmethod
    def load(cls) -> "ApiSettings":
        settings = cls()
        cfg = config.home() / "zhili.toml"
        if not cfg.is_file():
            return settings
        try:
            data = tomllib.loads(cfg.read_text(encoding="utf-8")).get("api", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{cfg}: 设置文件格式错误（{exc}）") from exc
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"{cfg}: [api] 中有未知设置 {sorted(unknown)}")
        for key, value in data.items():
            expected = type(getattr(settings, key))
            if type(value) is not expected:
                raise ValueError(f"{cfg}: [api] {key} 应为 {expected.__name__}，收到 {value!r}")
            setattr(settings, key, value)
        try:
            settings.check()
        except ValueError as exc:
            raise ValueError(f"{cfg}: [api] {exc}") from exc
        return settings
