"""Error codes of support tickets and incidents."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TITLE_LENGTH = ErrorCode("TICKET_TITLE_LENGTH", "A title is 1 to 200 characters.", "标题须为 1 至 200 个字符。")
INCIDENT_ALREADY_OPEN = ErrorCode(
    "INCIDENT_ALREADY_OPEN",
    "The branch already has an open {kind} incident: post updates to it, or close it first.",
    "本网点已有处置中的“{kind_zh}”事件，请在该事件下更新进展，或先关闭它。",
)
INCIDENT_CLOSED = ErrorCode(
    "INCIDENT_CLOSED",
    "This incident is closed: it takes no more updates.",
    "该事件已关闭，不能再更新。",
)
UPDATE_LENGTH = ErrorCode(
    "INCIDENT_UPDATE_LENGTH", "An update is 1 to 2000 characters.", "进展更新须为 1 至 2000 个字符。"
)
REVIEW_REQUIRED = ErrorCode(
    "INCIDENT_REVIEW_REQUIRED",
    "Closing an incident needs its review: cause, impact and lessons (1 to 4000 characters).",
    "关闭事件须填写复盘：原因、影响与改进（1 至 4000 个字符）。",
)
