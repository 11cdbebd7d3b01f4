from branchdesk.platform.errors import ErrorCode

# One answer for an unknown employee number, a wrong code, and a code expired, used or superseded:
# anything finer would tell a guesser which part was right. Administrators see the status instead.
ACTIVATION_FAILED = ErrorCode(
    "ACTIVATION_FAILED",
    "The employee number or activation code is not correct, or the code has expired or been used; "
    "ask your administrator for a new code.",
    "员工号或激活码不正确，或激活码已过期或已使用，请向管理员申请新的激活码。",
)
PASSWORD_INCORRECT = ErrorCode("PASSWORD_INCORRECT", "The current password is not correct.", "当前密码不正确。")
PASSWORD_UNCHANGED = ErrorCode(
    "PASSWORD_UNCHANGED", "The new password is the same as the current one.", "新密码与当前密码相同。"
)
INVALID_PHONE = ErrorCode(
    "INVALID_PHONE",
    "A phone number is an 11-digit mainland mobile number (13812345678) or in E.164 form (+8613812345678).",
    "手机号须为 11 位中国大陆手机号（如 13812345678）或 E.164 格式（如 +8613812345678）。",
)
