"""Request bodies of the API (responses reuse the library's own models where they exist)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..answer import Answer
from ..cases import DOMAINS, LEADERSHIP, LEVELS, Case
from ..cases.model import ID_PATTERN
from ..retrieval.filters import Filters

MAX_TEXT = 20_000  # the engine's own cap on a problem description


def _as_list(value: Any) -> Any:
    """A single filter value may be sent as a string; the engine takes lists."""
    return [value] if isinstance(value, str) else value


class FilterFields(BaseModel):
    """The same filters as `zhili recommend --province/--level/…`; empty means no filter."""

    model_config = ConfigDict(extra="forbid")
    province: list[str] = Field(default_factory=list, max_length=50, description="省份/城市")
    level: list[str] = Field(default_factory=list, max_length=10, description="全国/省/市/区县/乡镇街道/村社区")
    domain: list[str] = Field(default_factory=list, max_length=50, description="领域，如 加装电梯")
    leadership: list[str] = Field(default_factory=list, max_length=4, description="引领维度，如 组织引领")
    year_from: int | None = Field(None, ge=1949, le=2100)
    year_to: int | None = Field(None, ge=1949, le=2100)

    _lists = field_validator("province", "level", "domain", "leadership", mode="before")(_as_list)

    @field_validator("level", "domain", "leadership")
    @classmethod
    def _known(cls, value: list[str], info: Any) -> list[str]:
        try:  # one place knows the allowed values
            Filters.model_validate({info.field_name: value})
        except ValidationError as exc:
            raise ValueError(str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")) from None
        return value

    def filters(self) -> Filters:
        return Filters.model_validate(self.model_dump(include=set(Filters.model_fields)))


def _spell_out_case(schema: dict[str, Any]) -> None:
    """Put the allowed values the Case validators enforce into the OpenAPI schema, so that
    integrators (and generated clients and tests) see them; validation itself is unchanged."""
    props = schema.get("properties", {})
    props.get("id", {})["pattern"] = ID_PATTERN.pattern
    props.get("level", {})["enum"] = ["", *LEVELS]
    for name, allowed in (("domains", DOMAINS), ("leadership", LEADERSHIP)):
        props.get(name, {}).setdefault("items", {})["enum"] = list(allowed)
    for branch in props.get("year", {}).get("anyOf", []):
        if branch.get("type") == "integer":
            branch.update(minimum=1949, maximum=2100)


class CaseBody(Case):
    """A case as sent to the API: exactly `zhili.cases.Case` (same fields, same checks)."""

    model_config = ConfigDict(title="Case", json_schema_extra=_spell_out_case)


class BacklogMark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "added", "dropped"] = Field(..., description="open 待收集 / added 已补充 / dropped 不处理")


class BulkBody(BaseModel):
    """批量操作：发布 / 撤回 / 删除若干案例。"""

    model_config = ConfigDict(extra="forbid")
    action: Literal["publish", "withdraw", "delete"] = Field(..., description="publish 发布 / withdraw 撤回 / delete 删除")
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(..., min_length=1, max_length=200,
                                                                         description="案例编号（最多 200 个）")
    dry_run: bool = Field(False, description="只返回将会怎样，不做修改")


class RecommendRequest(FilterFields):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT, description="问题描述")
    top: int = Field(10, ge=1, le=200, description="返回案例数")
    rules: bool = Field(True, description="false：不使用规则（与 --no-rules 相同，用于对比规则的作用）")



class BriefRequest(RecommendRequest):
    format: Literal["docx", "html"] = Field("docx", description="docx：Word 文件；html：可打印网页")

class RecommendResponse(Answer):
    query_id: str = Field(description="本次查询的编号（用于反馈）")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query_id: str = Field(..., min_length=1, max_length=64)
    case_id: str = Field(..., min_length=1, max_length=64)
    verdict: Literal["adopted", "helpful", "irrelevant"] = Field(
        ..., description="adopted 已采纳 / helpful 有帮助 / irrelevant 不相关")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=1000)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=100, pattern=r"^\S+$")
    password: str = Field(..., min_length=8, max_length=1000)
    role: Literal["viewer", "assessor", "editor", "admin"] = "viewer"


class UserUpdate(BaseModel):
    """Role and/or active flag; either change ends the user's browser sessions."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "assessor", "editor", "admin"] | None = Field(None, description="新角色")
    active: bool | None = Field(None, description="false 停用（不能登录，令牌失效），true 重新启用")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=100, description="令牌代表的用户")
    name: str = Field("", max_length=100, description="令牌用途，如 12345热线对接")
    days: int | None = Field(None, ge=1, le=3650, description="有效天数（默认取设置 token_days，出厂 90 天）")


class ErrorDetail(BaseModel):
    code: str = Field(description="机器可读的错误代码，如 validation_error、unauthorized、not_found")
    message: str = Field(description="中文说明")
    message_en: str = Field(description="English message (for logs)")
    field: str | None = Field(None, description="出错的字段或上传文件（没有时为 null）")


class ErrorBody(BaseModel):
    """Every error response: `{"error": {code, message, message_en, field}}` (uploads add `rows`)."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((401, "未登录或令牌无效"), (403, "权限不足或 CSRF 校验失败"), (404, "不存在"),
                         (413, "请求过大"), (415, "内容类型不支持"), (422, "请求内容有误（field 指出字段）"),
                         (429, "请求过于频繁（匿名查询限额）"), (500, "服务器内部错误"))
}
