"""Error codes of access reviews."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

REVIEW_CLOSED = ErrorCode(
    "ACCESS_REVIEW_CLOSED", "The access review “{name}” is already closed.", "权限复核“{name}”已结束。"
)

REVIEW_PENDING = ErrorCode(
    "ACCESS_REVIEW_PENDING",
    "The access review cannot close: {pending} of {total} items are not decided yet.",
    "权限复核尚不能结束：{total} 项中还有 {pending} 项未复核。",
)

REVIEW_SELF = ErrorCode(
    "ACCESS_REVIEW_SELF_DECISION",
    "You cannot decide about your own access; another reviewer must.",
    "不能复核本人的权限，须由其他复核人处理。",
)

REVIEW_REVIEWER = ErrorCode(
    "ACCESS_REVIEW_REVIEWER", "Access reviews are decided by a member of staff.", "权限复核须由员工本人处理。"
)

REVIEW_DECISION = ErrorCode("ACCESS_REVIEW_DECISION", "Decide CONFIRMED or REVOKED.", "复核结论须为“保留”或“撤销”。")

REVIEW_NAME = ErrorCode("ACCESS_REVIEW_NAME", "A review name is 1 to 200 characters.", "复核名称须为 1 至 200 个字符。")

REVIEW_NOTE = ErrorCode("ACCESS_REVIEW_NOTE", "A note is at most 500 characters.", "备注最多 500 个字符。")
