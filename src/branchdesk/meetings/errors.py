"""Error codes of branch meetings."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

MEETING_TEXT = ErrorCode(
    "MEETING_TEXT",
    "A meeting has a title (1 to 200 characters) and an agenda (1 to 4000); minutes up to 8000, each decision "
    "1 to 500 (at most 50).",
    "例会须有标题（1 至 200 个字符）和议程（1 至 4000 个字符），纪要不超过 8000 个字符，每项决议 1 至 500 个字符"
    "（最多 50 项）。",
)
HELD_AT = ErrorCode(
    "MEETING_HELD_AT",
    "When it was held is within the last {days} days or the next {ahead} days.",
    "召开时间须在过去 {days} 天或未来 {ahead} 天以内。",
)
DUE_ON = ErrorCode(
    "ACTION_ITEM_DUE_ON",
    "An action item is due today or later, within {days} days.",
    "待办事项的截止日期须为今天或以后，且在 {days} 天以内。",
)
