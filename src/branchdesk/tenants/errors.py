from branchdesk.platform.errors import ErrorCode

BRANCH_CODE_TAKEN = ErrorCode(
    "BRANCH_CODE_TAKEN",
    "Branch code {code} is already used by another branch.",
    "网点代码 {code} 已被其他网点使用。",
)
BRANCH_CODE_FORMAT = ErrorCode(
    "BRANCH_CODE_FORMAT",
    "A branch code is 2 to 16 digits or capital letters.",
    "网点代码须为 2 至 16 位数字或大写字母。",
)
UNKNOWN_PARENT = ErrorCode("UNKNOWN_PARENT", "No branch has the code {code}.", "不存在代码为 {code} 的网点。")
PARENT_LEVEL = ErrorCode(
    "PARENT_LEVEL_MISMATCH",
    "A {level} must sit under a {parent_level}.",
    "{level_zh}的上级必须是{parent_level_zh}。",
)
HEAD_OFFICE_EXISTS = ErrorCode("HEAD_OFFICE_EXISTS", "There is already a head office.", "总行已存在。")
INVALID_TIMEZONE = ErrorCode("INVALID_TIMEZONE", "{value} is not a known time zone.", "{value} 不是有效的时区。")
INVALID_HOURS = ErrorCode("INVALID_BUSINESS_HOURS", "{reason}", "{reason_zh}")
INVALID_NAME = ErrorCode("INVALID_NAME", "A name is 1 to 200 characters.", "名称须为 1 至 200 个字符。")
INVALID_EMPLOYEE_NUMBER = ErrorCode(
    "INVALID_EMPLOYEE_NUMBER", "An employee number is 3 to 32 letters or digits.", "员工号须为 3 至 32 位字母或数字。"
)
INVALID_EMAIL = ErrorCode("INVALID_EMAIL", "The email address is not valid.", "邮箱地址无效。")
STAFF_CONFLICT = ErrorCode(
    "STAFF_CONFLICT",
    "Employee {employee_number} already exists with other details.",
    "员工号 {employee_number} 已存在且信息不一致。",
)
STATUS_CHANGE = ErrorCode(
    "INVALID_STATUS_CHANGE", "A {status} branch cannot be {action}.", "状态为“{status_zh}”的网点不能{action_zh}。"
)
HEAD_OFFICE_STATUS = ErrorCode("HEAD_OFFICE_STATUS", "The head office cannot be suspended.", "总行不能被暂停。")
SIGNIN_FAILED = ErrorCode(
    "SIGNIN_FAILED",
    "The employee number or password is not correct, or the account is temporarily locked.",
    "员工号或密码不正确，或账户已被暂时锁定。",
)
REFRESH_INVALID = ErrorCode(
    "REFRESH_TOKEN_INVALID", "The session has ended; please sign in again.", "会话已结束，请重新登录。"
)
PASSWORD_TOO_SHORT = ErrorCode(
    "PASSWORD_TOO_SHORT", "A password has at least {minimum} characters.", "密码至少须有 {minimum} 个字符。"
)
PASSWORD_COMMON = ErrorCode(
    "PASSWORD_COMMON",
    "This password is among the most common ones, which are guessed first; choose another.",
    "该密码属于最常见的密码，容易被猜中，请另选一个。",
)
PASSWORD_PERSONAL = ErrorCode(
    "PASSWORD_PERSONAL",
    "A password must not contain your {what}.",
    "密码不得包含您的{what_zh}。",
)
