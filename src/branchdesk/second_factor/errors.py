from branchdesk.platform.errors import ErrorCode

CODE_INVALID = ErrorCode(
    "SECOND_FACTOR_CODE_INVALID",
    "The code is not correct.",
    "验证码不正确。",
)
CODE_REPLAYED = ErrorCode(
    "SECOND_FACTOR_CODE_REPLAYED",
    "This code has already been used; wait for the next one.",
    "该验证码已被使用，请等待下一个验证码。",
)
CHALLENGE_EXPIRED = ErrorCode(
    "SIGN_IN_CHALLENGE_EXPIRED",
    "This sign-in step has expired or was already completed; please sign in again.",
    "本次登录验证已过期或已完成，请重新登录。",
)
ENROLMENT_NOT_STARTED = ErrorCode(
    "SECOND_FACTOR_ENROLMENT_NOT_STARTED",
    "No second-factor enrolment has been started: begin the enrolment first.",
    "尚未开始绑定双重验证，请先开始绑定。",
)
ALREADY_ENROLLED = ErrorCode(
    "SECOND_FACTOR_ALREADY_ENROLLED",
    "A second factor is already set up.",
    "双重验证已绑定。",
)
NOT_ENROLLED = ErrorCode(
    "SECOND_FACTOR_NOT_ENROLLED",
    "No second factor is set up.",
    "尚未绑定双重验证。",
)
ENROLMENT_REQUIRED = ErrorCode(
    "SECOND_FACTOR_ENROLMENT_REQUIRED",
    "Your roles require a second factor: set one up to finish signing in.",
    "您的角色要求双重验证：请先完成绑定再登录。",
)
REQUIRED = ErrorCode(
    "SECOND_FACTOR_REQUIRED",
    "Your roles require a second factor: it cannot be turned off.",
    "您的角色要求双重验证，不能关闭。",
)
UNKNOWN_ROLE = ErrorCode("SECOND_FACTOR_UNKNOWN_ROLE", "No role is named {role}.", "不存在名为 {role} 的角色。")
