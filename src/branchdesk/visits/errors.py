"""Error codes of walk-in visits and the queue."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TRANSITION_REFUSED = ErrorCode(
    "VISIT_TRANSITION_REFUSED",
    "A ticket that is {state} cannot take the action {action} (from {state}: {allowed}).",
    "状态为“{state_zh}”的号票不能执行“{action_zh}”（当前可执行：{allowed_zh}）。",
)
ALREADY_CALLED = ErrorCode(
    "QUEUE_TICKET_ALREADY_CALLED",
    "Ticket {number} has already been called ({state}): call the next one.",
    "号票 {number} 已被叫号（{state_zh}），请呼叫下一位。",
)
LINE_UNKNOWN = ErrorCode(
    "QUEUE_LINE_UNKNOWN",
    "There is no service line {line}: use counter, customer_manager, vip_room or self_service.",
    "没有业务线 {line}，请使用 counter、customer_manager、vip_room 或 self_service。",
)
LINE_NOT_YOURS = ErrorCode(
    "QUEUE_LINE_NOT_YOURS",
    "You do not serve the {line} line here: call and serve on the lines your roles work.",
    "您在本网点不负责“{line_zh}”业务线，请在您岗位对应的业务线叫号办理。",
)
QUEUE_EMPTY = ErrorCode("QUEUE_EMPTY", "Nobody is waiting on the {line} line.", "“{line_zh}”业务线当前无人等候。")
SAME_LINE = ErrorCode(
    "VISIT_TRANSFER_SAME_LINE",
    "The visit is already on the {line} line: transfer it to another one.",
    "该客户已在“{line_zh}”业务线，请转至其他业务线。",
)
CLIENT_AMBIGUOUS = ErrorCode(
    "VISIT_CLIENT_AMBIGUOUS",
    "{count} clients have this {what}: name the client by id (findClientRoutingCards lists them).",
    "有 {count} 位客户使用该{what_zh}，请按客户编号指定（可用 findClientRoutingCards 查询）。",
)
CLIENT_ONE_WAY = ErrorCode(
    "VISIT_CLIENT_ONE_WAY",
    "Name the client one way only: by id, phone or ID number (or none, for an anonymous walk-in).",
    "请只用一种方式指定客户：客户编号、手机号或证件号（匿名到店客户均不填）。",
)
OUTCOME_INVALID = ErrorCode(
    "VISIT_OUTCOME_INVALID",
    "At most {max_items} entries of 1 to {max_length} characters each.",
    "最多 {max_items} 项，每项 1 至 {max_length} 个字符。",
)
REFERRAL_NOTE_REQUIRED = ErrorCode(
    "VISIT_REFERRAL_NOTE_REQUIRED",
    "A referral raised needs a note saying what the client needs (1 to 500 characters).",
    "已发起转介时须填写客户需求说明（1 至 500 个字符）。",
)
NOT_ON_LINE = ErrorCode(
    "VISIT_NOT_ON_LINE",
    "Ticket {number} is not on the {line} line: call it on its own line.",
    "号票 {number} 不在该业务线（{line}），请在其所在业务线叫号。",
)
NOTE_LENGTH = ErrorCode(
    "VISIT_NOTE_LENGTH", "A note is at most {max_length} characters.", "备注最多 {max_length} 个字符。"
)
