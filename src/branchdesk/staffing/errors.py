"""Error codes of the staff lifecycle."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

EMPLOYEE_NUMBER_TAKEN = ErrorCode(
    "EMPLOYEE_NUMBER_TAKEN",
    "Employee number {employee_number} is already taken.",
    "员工号 {employee_number} 已被使用。",
)
ROLES_REQUIRED = ErrorCode(
    "MEMBERSHIP_ROLES_REQUIRED", "A membership needs at least one role.", "成员资格至少需要一个角色。"
)
ALREADY_A_MEMBER = ErrorCode(
    "ALREADY_A_MEMBER",
    "{employee_number} is already a member of {code}; change their roles there instead.",
    "{employee_number} 已是 {code} 的成员，请直接调整其角色。",
)
COVER_IN_PAST = ErrorCode(
    "COVER_IN_PAST",
    "A cover cannot start before today ({today}) in the branch's time zone.",
    "临时支援不能早于网点所在时区的今天（{today}）开始。",
)
COVER_ENDS_BEFORE_START = ErrorCode(
    "COVER_ENDS_BEFORE_START", "A cover cannot end before it starts.", "临时支援的结束日期不能早于开始日期。"
)
SAME_BRANCH_TRANSFER = ErrorCode(
    "SAME_BRANCH_TRANSFER", "A transfer goes to another branch than {code}.", "调动的目标网点不能是 {code}。"
)
LAST_BRANCH_HEAD = ErrorCode(
    "LAST_BRANCH_HEAD",
    "{employee_number} is the only branch head of {code}: give the role to a successor first.",
    "{employee_number} 是 {code} 唯一的网点负责人，请先指定继任者。",
)
STAFF_DEACTIVATED = ErrorCode(
    "STAFF_DEACTIVATED",
    "{employee_number} has left the bank; reactivate them first.",
    "{employee_number} 已离行，请先恢复其账户。",
)
HISTORY_FILTER_REQUIRED = ErrorCode(
    "HISTORY_FILTER_REQUIRED",
    "Name a member (employee number) or a moment (at), or both.",
    "请指定员工号或时间点（或两者）。",
)
