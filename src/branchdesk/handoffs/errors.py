"""Error codes of handoffs and comments."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TRANSITION_REFUSED = ErrorCode(
    "HANDOFF_TRANSITION_REFUSED",
    "A handoff that is {state} cannot take the action {action} (from {state}: {allowed}).",
    "状态为“{state_zh}”的协作事项不能执行“{action_zh}”（当前可执行：{allowed_zh}）。",
)
NOT_THE_ASSIGNEE = ErrorCode(
    "HANDOFF_NOT_THE_ASSIGNEE",
    "Only the person it is assigned to can {action} a handoff.",
    "只有被指派人可以{action_zh}该协作事项。",
)
NOT_THE_RAISER = ErrorCode(
    "HANDOFF_NOT_THE_RAISER",
    "Only who raised a handoff (or the branch head) can cancel it.",
    "只有发起人（或网点负责人）可以撤销协作事项。",
)
UNKNOWN_TYPE = ErrorCode(
    "HANDOFF_UNKNOWN_TYPE",
    "No active handoff type {type}: use one of the head-office list (handoffTypes).",
    "没有有效的协作事项类型 {type}，请使用总行类型列表（handoffTypes）中的类型。",
)
DESCRIPTION_LENGTH = ErrorCode(
    "HANDOFF_DESCRIPTION_LENGTH", "A description is 1 to 2000 characters.", "描述须为 1 至 2000 个字符。"
)
ATTACHMENT = ErrorCode(
    "HANDOFF_ATTACHMENT",
    "An attachment has a name (1 to 200 characters) and a URL or storage key (1 to 500); at most {limit}.",
    "附件须有名称（1 至 200 个字符）和链接或存储键（1 至 500 个字符），最多 {limit} 个。",
)
REASON_REQUIRED = ErrorCode(
    "HANDOFF_REASON_REQUIRED",
    "Say why (1 to 1000 characters).",
    "请说明原因（1 至 1000 个字符）。",
)
OUTCOME_REQUIRED = ErrorCode(
    "HANDOFF_OUTCOME_REQUIRED",
    "Completing a referral says whether it converted; a converted one names the product and a positive amount.",
    "完成商机转介须说明是否成交，成交的须填写产品代码和大于零的金额。",
)
DUE_AT = ErrorCode(
    "HANDOFF_DUE_AT",
    "A due time is in the future and within {days} days.",
    "到期时间须晚于当前时间且在 {days} 天以内。",
)
COMMENT_LENGTH = ErrorCode("COMMENT_LENGTH", "A comment is 1 to 4000 characters.", "评论须为 1 至 4000 个字符。")
