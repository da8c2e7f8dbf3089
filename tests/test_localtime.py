"""One time zone for everything shown: `[site] timezone` (default Asia/Shanghai), validated."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from zhili import localtime
from zhili.config import BriefSettings, SiteSettings

LATE = datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc)


def test_default_is_beijing_time(zhili_home: Path) -> None:
    assert localtime.zone_name() == "Asia/Shanghai"
    assert localtime.format_time(LATE) == "2026-01-02 01:30"
    assert localtime.format_time(LATE.replace(tzinfo=None), seconds=True) == "2026-01-02 01:30:00"  # naive = UTC
    assert localtime.format_day(LATE) == "2026-01-02" and localtime.cn_date(LATE) == "2026年1月2日"
    assert localtime.day_start(date(2026, 1, 2)) == datetime(2026, 1, 1, 16, 0, tzinfo=timezone.utc)
    assert localtime.format_time(None) == "" and localtime.format_day(None) == ""


def test_the_setting_changes_every_formatter(zhili_home: Path) -> None:
    (zhili_home / "zhili.toml").write_text('[site]\ntimezone = "Asia/Urumqi"\n', encoding="utf-8")
    assert localtime.format_time(LATE) == "2026-01-01 23:30"  # UTC+6
    assert localtime.day_start(date(2026, 1, 2)) == datetime(2026, 1, 1, 18, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", ['"Beijing"', '"Asia/Shanghai\'; DROP"', '"../etc/passwd"', "8"])
def test_a_wrong_zone_names_the_file_and_key(zhili_home: Path, bad: str) -> None:
    (zhili_home / "zhili.toml").write_text(f"[site]\ntimezone = {bad}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"zhili.toml.*\[site\].*timezone"):
        SiteSettings.load()


def test_brief_settings(zhili_home: Path) -> None:
    assert BriefSettings.load() == BriefSettings()
    (zhili_home / "zhili.toml").write_text('[brief]\nissuer = "城关街道办事处"\n', encoding="utf-8")
    assert BriefSettings.load().issuer == "城关街道办事处"
    (zhili_home / "zhili.toml").write_text('[brief]\nmasthead = ""\n', encoding="utf-8")
    with pytest.raises(ValueError, match="masthead"):
        BriefSettings.load()
    (zhili_home / "zhili.toml").write_text('[brief]\nissuer = "一\\n二"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="issuer"):
        BriefSettings.load()
