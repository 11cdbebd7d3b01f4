"""Expected failures: one exception type carrying a stable code, the field at fault and bilingual text.

Domains declare their codes in their own ``errors.py``; the API turns a :class:`DomainError` into a
typed payload error (mutations) or a GraphQL error with ``extensions.code`` (queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    """A stable code with its message templates; each domain declares its own in ``errors.py``, and
    every code declared becomes a value of the API's ``ErrorCode`` enum."""

    code: str
    en: str
    zh: str

    def __post_init__(self) -> None:
        known = CODES.setdefault(self.code, self)
        if known != self:
            raise ValueError(f"error code {self.code} is declared twice with different messages")

    def render(self, locale: str, **params: Any) -> str:
        template = self.zh if locale.lower().startswith("zh") else self.en
        return template.format(**params)


CODES: dict[str, ErrorCode] = {}


class DomainError(Exception):
    """An expected failure. ``keep_changes`` marks the rare refusal whose own bookkeeping must be
    committed (a failed sign-in counts towards lockout; a replayed refresh token revokes its family);
    ``delay`` asks for the answer to be held back that many seconds after the transaction ends."""

    def __init__(
        self,
        error: ErrorCode,
        *,
        field: str | None = None,
        keep_changes: bool = False,
        delay: float = 0.0,
        **params: Any,
    ) -> None:
        self.error = error
        self.field = field
        self.keep_changes = keep_changes
        self.delay = delay
        self.params = params
        super().__init__(error.render("en", **params))

    @property
    def code(self) -> str:
        return self.error.code

    def message(self, locale: str = "en") -> str:
        return self.error.render(locale, **self.params)


def error_body(message: str, code: str, *, field: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    """An error as a JSON body outside GraphQL (edge refusals, downloads): the GraphQL-over-HTTP shape,
    so a client reads every error the same way."""
    extensions: dict[str, Any] = {"code": code}
    if field is not None:
        extensions["field"] = field
    if request_id is not None:
        extensions["requestId"] = request_id
    return {"errors": [{"message": message, "extensions": extensions}]}


class InvalidInput(DomainError):
    """Several field errors found together, reported together."""

    def __init__(self, errors: list[DomainError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.error, field=first.field, **first.params)


NOT_FOUND = ErrorCode("NOT_FOUND", "{what} was not found.", "未找到{what}。")
UNAUTHENTICATED = ErrorCode(
    "UNAUTHENTICATED", "Sign-in is required or the credentials are not valid.", "需要登录，或登录凭证无效。"
)
FORBIDDEN = ErrorCode(
    "FORBIDDEN", "You are not allowed to do this ({permission}).", "您无权执行此操作（{permission}）。"
)
INVALID_VALUE = ErrorCode("INVALID_VALUE", "{reason}", "{reason_zh}")
PAGE_SIZE = ErrorCode(
    "PAGE_SIZE_EXCEEDED", "At most {limit} items can be requested at once.", "每次最多可请求 {limit} 条。"
)
INVALID_CURSOR = ErrorCode("INVALID_CURSOR", "The cursor is not valid.", "分页游标无效。")
# Refused at the edge, before any resolver: a value that cannot be stored (graphql/inputs.py), or a
# variable that does not fit the type the operation declares for it (graphql/errors.py).
BAD_USER_INPUT = ErrorCode("BAD_USER_INPUT", "{name} is not valid: {reason}", "{name} 无效：{reason_zh}")
TOO_LONG = ErrorCode("TOO_LONG", "{name} is longer than {limit} characters.", "{name} 超过 {limit} 个字符。")
DATE_OUT_OF_RANGE = ErrorCode(
    "DATE_OUT_OF_RANGE",
    "{name} is outside the dates that can be represented (years 1 to 9999 in UTC).",
    "{name} 超出可表示的日期范围（UTC 时间公元 1 年至 9999 年）。",
)
# Outside any payload: a request the schema rejects, and an unexpected failure (masked).
VALIDATION_FAILED = ErrorCode(
    "GRAPHQL_VALIDATION_FAILED", "The request does not match the schema or its limits.", "请求不符合接口定义或其限制。"
)
PARSE_FAILED = ErrorCode(
    "GRAPHQL_PARSE_FAILED", "The request is not valid GraphQL: {detail}", "请求不是有效的 GraphQL：{detail}"
)
TOKEN_LIMIT = ErrorCode(
    "TOKEN_LIMIT_EXCEEDED",
    "The request has more than {limit} tokens; split it into smaller operations.",
    "请求超过 {limit} 个词法单元，请拆分为更小的操作。",
)
INTERNAL_ERROR = ErrorCode("INTERNAL_ERROR", "Unexpected error.", "发生意外错误。")
# Automatic persisted queries (graphql/persisted_queries.py): Apollo's link knows them by code and, in
# older clients, by the exact English message.
PERSISTED_QUERY_NOT_FOUND = ErrorCode(
    "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", "PersistedQueryNotFound：请连同查询文本重新发送。"
)
PERSISTED_QUERY_NOT_SUPPORTED = ErrorCode(
    "PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported", "PersistedQueryNotSupported：请发送完整查询。"
)
RATE_LIMITED = ErrorCode(
    "RATE_LIMITED",
    "Too many attempts; try again in {retry_after} seconds.",
    "尝试次数过多，请在 {retry_after} 秒后重试。",
)


class NotFound(DomainError):
    def __init__(self, what: str, what_zh: str | None = None, *, field: str | None = None) -> None:
        self.what_zh = what_zh or what
        super().__init__(NOT_FOUND, field=field, what=what)

    def message(self, locale: str = "en") -> str:
        if locale.lower().startswith("zh"):
            return self.error.zh.format(what=self.what_zh)
        return super().message(locale)


class Unauthenticated(DomainError):
    def __init__(self) -> None:
        super().__init__(UNAUTHENTICATED)


class Forbidden(DomainError):
    def __init__(self, permission: str) -> None:
        super().__init__(FORBIDDEN, permission=permission)


class RateLimited(DomainError):
    """Too many attempts from one source; ``retry_after`` seconds until it may try again."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(RATE_LIMITED, retry_after=retry_after)


def invalid(field: str, en: str, zh: str) -> DomainError:
    return DomainError(INVALID_VALUE, field=field, reason=en, reason_zh=zh)
