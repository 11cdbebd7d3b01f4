"""Error codes of staff availability."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

ABSENCE_ORDER = ErrorCode(
    "ABSENCE_ORDER",
    "An absence ends after it starts, and lasts at most {limit} days.",
    "离岗结束时间须晚于开始时间，且最长 {limit} 天。",
)
ABSENCE_OVERLAP = ErrorCode(
    "ABSENCE_OVERLAP",
    "{name} is already away from {starts_at} to {ends_at}.",
    "{name} 已登记 {starts_at} 至 {ends_at} 离岗。",
)
ABSENCE_REASON = ErrorCode(
    "ABSENCE_REASON", "An absence's reason is 1 to 200 characters.", "离岗原因须为 1 至 200 个字符。"
)
COVER_NOT_AVAILABLE = ErrorCode(
    "COVER_NOT_AVAILABLE",
    "The cover must be another member of this branch for the whole absence, and not away themselves.",
    "顶岗人须为本网点在整个离岗期间的其他成员，且本人未离岗。",
)
