"""Error codes of directives."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

DIRECTIVE_TEXT = ErrorCode(
    "DIRECTIVE_TEXT",
    "A directive's title is 1 to 200 characters and its body 1 to 20,000, in Chinese and in English.",
    "通知标题须为 1 至 200 个字符、正文 1 至 20000 个字符，中英文均须填写。",
)
DIRECTIVE_DEADLINE = ErrorCode(
    "DIRECTIVE_DEADLINE",
    "The attestation deadline must be in the future and on or after the effective date.",
    "确认期限须晚于当前时间，且不早于生效日期。",
)
DIRECTIVE_ROLES = ErrorCode(
    "DIRECTIVE_ROLES",
    "Name at least one branch role that must attest; {role} is not one.",
    "须至少指定一个需确认的网点角色，{role} 不是网点角色。",
)
DIRECTIVE_TARGET = ErrorCode(
    "DIRECTIVE_TARGET",
    "Say which branches: ALL; LEVEL with a branch level below head office; REGION with a branch code; "
    "LIST with 1 to 500 branch codes.",
    "请指定下发范围：ALL，LEVEL 并给出总行以下的机构层级，REGION 并给出机构代码，或 LIST 并给出 1 至 500 个机构代码。",
)
DIRECTIVE_ATTACHMENTS = ErrorCode(
    "DIRECTIVE_ATTACHMENTS",
    "At most 20 attachments, each a reference of 1 to 500 characters.",
    "附件最多 20 个，每个引用为 1 至 500 个字符。",
)
DIRECTIVE_SUPERSEDED = ErrorCode(
    "DIRECTIVE_SUPERSEDED",
    "This directive was superseded by version {version}: read and attest that one.",
    "本通知已被第 {version} 版更正，请阅读并确认新版本。",
)
DIRECTIVE_NOT_REQUIRED = ErrorCode(
    "DIRECTIVE_NOT_REQUIRED",
    "Your roles in this branch are not among those this directive asks to attest.",
    "您在本网点的角色不在本通知要求确认的范围内。",
)
DIRECTIVE_QUESTION = ErrorCode(
    "DIRECTIVE_QUESTION", "A question or answer is 1 to 2,000 characters.", "提问或答复须为 1 至 2000 个字符。"
)
DIRECTIVE_ANSWERED = ErrorCode(
    "DIRECTIVE_ANSWERED", "This question was already answered; ask a new one instead.", "该提问已答复，请另行提问。"
)
