"""Errors the store raises for requests it must refuse (messages are shown to users, in Chinese)."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: a request the store refused; nothing was written."""


class CaseExistsError(StoreError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"案例编号“{case_id}”已存在")
        self.case_id = case_id


class CaseNotFoundError(StoreError, LookupError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"没有编号为“{case_id}”的案例")
        self.case_id = case_id


class VersionNotFoundError(StoreError, LookupError):
    """Restoring: no audit entry `entry_id` for this case."""

    def __init__(self, case_id: str, entry_id: int) -> None:
        super().__init__(f"案例“{case_id}”没有编号为 {entry_id} 的修改记录")
        self.case_id, self.entry_id = case_id, entry_id


class VersionUnusableError(StoreError, ValueError):
    """Restoring: the entry holds no version (a deletion) or one today's rules refuse."""


class UserExistsError(StoreError):
    def __init__(self, username: str, existing: str | None = None) -> None:
        if existing is None or existing == username:
            super().__init__(f"用户名“{username}”已被使用")
        else:  # a look-alike: same letters in another case or width
            super().__init__(f"用户名“{username}”已被使用：与已有账号“{existing}”视为同一名称"
                             "（不区分大小写和全角/半角），请换一个")
        self.username = username


class LastAdminError(StoreError):
    def __init__(self) -> None:
        super().__init__("至少需要保留一个启用的管理员账号：请先让另一位用户成为管理员")


class QueryNotFoundError(StoreError, LookupError):
    def __init__(self, query_id: str) -> None:
        super().__init__(f"没有编号为“{query_id}”的查询记录")
        self.query_id = query_id


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `allowed`, else a ValueError naming the field and the choices."""
    if value not in allowed:
        raise ValueError(f"{what}必须是 {' / '.join(allowed)} 之一，收到“{value}”")
    return value


def check_name(value: str | None, what: str, max_len: int = 64, required: bool = False) -> str | None:
    """A user name / label: no control characters, not longer than the column."""
    if value is None or value == "":
        if required:
            raise ValueError(f"{what}不能为空")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{what}必须是文本")
    if len(value) > max_len:
        raise ValueError(f"{what}过长（{len(value)} 个字符，最多 {max_len} 个）")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"{what}中含有控制字符")
    return value


class CaseIncompleteError(StoreError, ValueError):
    """Publishing a case that lacks what a published case must have (`publish_problems`)."""

    def __init__(self, case_id: str, problems: list[tuple[str, str]]) -> None:
        from ..cases.errors import field_label

        self.case_id, self.problems = case_id, list(problems)
        self.field = problems[0][0] if problems else ""
        reasons = "；".join(f"{field_label(f)}：{m}" for f, m in problems)
        super().__init__(f"案例“{case_id}”不能发布：{reasons}")
