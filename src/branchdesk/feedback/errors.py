"""Error codes of client feedback and complaints."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TRANSITION_REFUSED = ErrorCode(
    "COMPLAINT_TRANSITION_REFUSED",
    "A complaint that is {state} cannot take the action {action} (from {state}: {allowed}).",
    "状态为“{state_zh}”的投诉不能执行“{action_zh}”（当前可执行：{allowed_zh}）。",
)
NOT_A_COMPLAINT = ErrorCode(
    "FEEDBACK_NOT_A_COMPLAINT",
    "This feedback is {kind}, not a complaint: it has no workflow.",
    "该反馈为“{kind_zh}”，不是投诉，没有处理流程。",
)
RESOLUTION_REQUIRED = ErrorCode(
    "COMPLAINT_RESOLUTION_REQUIRED",
    "Say what the client was told (1 to 2000 characters) to resolve a complaint.",
    "解决投诉须填写告知客户的处理结果（1 至 2000 个字符）。",
)
UNKNOWN_CATEGORY = ErrorCode(
    "FEEDBACK_UNKNOWN_CATEGORY",
    "No active feedback category {category}: use one of the head-office list (feedbackCategories).",
    "没有有效的反馈类别 {category}，请使用总行类别列表（feedbackCategories）中的类别。",
)
SUMMARY_LENGTH = ErrorCode(
    "FEEDBACK_SUMMARY_LENGTH", "A summary is 1 to 200 characters.", "反馈摘要须为 1 至 200 个字符。"
)
RECEIVED_AT = ErrorCode(
    "FEEDBACK_RECEIVED_AT",
    "When it was received is now or up to {days} days ago, not in the future.",
    "受理时间须为当前或 {days} 天以内，不能晚于当前时间。",
)
SLA_VALUE = ErrorCode(
    "COMPLAINT_SLA_VALUE",
    "Acknowledge within 1 to {max_hours} business hours and resolve within 1 to {max_days} business days.",
    "确认时限须为 1 至 {max_hours} 个工作小时，解决时限须为 1 至 {max_days} 个工作日。",
)
