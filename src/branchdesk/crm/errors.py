"""Error codes of the CRM."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

ID_NUMBER_FORMAT = ErrorCode(
    "CLIENT_ID_NUMBER_FORMAT",
    "A mainland resident ID number is 17 digits and a check character (a digit or X), with a real birth date.",
    "居民身份证号码须为 17 位数字加 1 位校验码（数字或 X），且出生日期有效。",
)
ID_CHECK_DIGIT = ErrorCode(
    "CLIENT_ID_CHECK_DIGIT",
    "The resident ID number's check character is wrong (GB 11643): expected {expected}.",
    "居民身份证号码校验码错误（GB 11643），应为 {expected}。",
)
ID_NUMBER_REQUIRED = ErrorCode(
    "CLIENT_ID_NUMBER_REQUIRED", "An ID document type needs its number.", "填写证件类型时须同时填写证件号码。"
)
PHONE_FORMAT = ErrorCode(
    "CLIENT_PHONE_FORMAT",
    "A phone number is an 11-digit mainland mobile (1xxxxxxxxxx) or international in E.164 (+ and up to 15 digits).",
    "手机号码须为 11 位大陆手机号（1 开头），或 E.164 国际格式（+ 加至多 15 位数字）。",
)
CLIENT_NUMBER_TAKEN = ErrorCode(
    "CLIENT_NUMBER_TAKEN",
    "Client number {number} already belongs to another client of this branch.",
    "客户号 {number} 已被本网点其他客户使用。",
)
CONSENT_CONFLICT = ErrorCode(
    "CLIENT_CONSENT_CONFLICT",
    "A client who asked not to be contacted cannot consent to contact channels at the same time.",
    "客户已要求勿扰，不能同时同意任何联系渠道。",
)
CONSENT_NEEDS_PHONE = ErrorCode(
    "CLIENT_CONSENT_NEEDS_PHONE",
    "Consent to {channel} needs a phone number on record.",
    "同意通过{channel_zh}联系须先登记手机号码。",
)
OWNER_NOT_MEMBER = ErrorCode(
    "CLIENT_OWNER_NOT_MEMBER",
    "A client's owner and co-owners are members of this branch.",
    "客户经理及共管人须为本网点员工。",
)
OWNER_OUT_OF_SCOPE = ErrorCode(
    "CLIENT_OWNER_OUT_OF_SCOPE",
    "Your data scope only lets you give clients to yourself or keep yourself on their team.",
    "您的数据范围只允许将客户归属于本人或保留本人为共管人。",
)
NOTHING_TO_ASSIGN = ErrorCode(
    "CLIENT_ASSIGN_NOTHING",
    "Name the clients to reassign, or the customer manager whose whole portfolio moves.",
    "请指定要调整归属的客户，或要整体移交客户的客户经理。",
)
BIRTHDAY_MISMATCH = ErrorCode(
    "CLIENT_BIRTHDAY_MISMATCH",
    "The birthday differs from the one in the resident ID number ({expected}).",
    "生日与居民身份证号码中的出生日期（{expected}）不一致。",
)
INTERACTION_IN_FUTURE = ErrorCode(
    "INTERACTION_IN_FUTURE",
    "An interaction is logged once it has happened: its time cannot be in the future.",
    "只能登记已发生的接触记录：发生时间不能晚于当前时间。",
)
INTERACTION_SUMMARY_EMPTY = ErrorCode(
    "INTERACTION_SUMMARY_EMPTY", "Say in a few words what the interaction was about.", "请简要填写接触内容。"
)
INTERACTION_TEXT_TOO_LONG = ErrorCode(
    "INTERACTION_TEXT_TOO_LONG", "At most {limit} characters.", "最多 {limit} 个字符。"
)

# --- imports and feeds (``crm.imports``): each names the file's column or the row's field at fault ------
IMPORT_ENCODING = ErrorCode(
    "CLIENT_IMPORT_ENCODING",
    "The file is not UTF-8 (byte {position}); save it as CSV UTF-8.",
    "文件不是 UTF-8 编码（第 {position} 字节），请另存为“CSV UTF-8”格式。",
)
IMPORT_COLUMN_MISSING = ErrorCode(
    "CLIENT_IMPORT_COLUMN_MISSING", "The header has no {column} column.", "表头缺少 {column} 列。"
)
IMPORT_ROW_SHAPE = ErrorCode(
    "CLIENT_IMPORT_ROW_SHAPE",
    "{found} fields where the header has {expected}; quote values that contain commas.",
    "该行有 {found} 个字段而表头有 {expected} 个，含逗号的值请加引号。",
)
IMPORT_REQUIRED = ErrorCode("CLIENT_IMPORT_REQUIRED", "A value is required here.", "此项为必填。")
IMPORT_TOO_LONG = ErrorCode("CLIENT_IMPORT_TOO_LONG", "At most {limit} characters.", "最多 {limit} 个字符。")
IMPORT_NOT_ALLOWED_VALUE = ErrorCode(
    "CLIENT_IMPORT_VALUE",
    "{value!r} is not one of: {allowed}.",
    "“{value}”不是可用的取值：{allowed}。",
)
IMPORT_DATE_FORMAT = ErrorCode(
    "CLIENT_IMPORT_DATE_FORMAT", "{value!r} is not a date written YYYY-MM-DD.", "“{value}”不是 YYYY-MM-DD 格式的日期。"
)
IMPORT_DUPLICATE = ErrorCode(
    "CLIENT_IMPORT_DUPLICATE",
    "Client number {number} is already on row {first}.",
    "客户号 {number} 已在第 {first} 行出现。",
)
IMPORT_OWNER_UNKNOWN = ErrorCode(
    "CLIENT_IMPORT_OWNER_UNKNOWN",
    "No member of this branch has employee number {number}.",
    "本网点没有工号为 {number} 的员工。",
)
IMPORT_TOO_MANY_ROWS = ErrorCode(
    "CLIENT_IMPORT_TOO_MANY_ROWS",
    "At most {limit} rows per call; send the rest in further batches.",
    "每次最多 {limit} 行，其余请分批发送。",
)
IMPORT_REFUSED = ErrorCode(
    "CLIENT_IMPORT_REFUSED",
    "{count} rows have problems, so nothing was loaded (see the row errors; skipInvalid loads the good rows).",
    "有 {count} 行存在问题，未导入任何数据（见逐行错误，使用 skipInvalid 可只导入正确的行）。",
)
IMPORT_AMOUNT_FORMAT = ErrorCode(
    "IMPORT_AMOUNT_FORMAT",
    "{value!r} is not an amount (digits, a point, e.g. 1234.56).",
    "“{value}”不是金额（如 1234.56）。",
)
LUNAR_MONTH = ErrorCode(
    "CLIENT_LUNAR_MONTH", "A lunar month is 1 (正月) to 12 (腊月).", "农历月份须为 1（正月）至 12（腊月）。"
)
LUNAR_DAY = ErrorCode(
    "CLIENT_LUNAR_DAY", "A lunar day is 1 (初一) to 30 (三十).", "农历日须为 1（初一）至 30（三十）。"
)
LUNAR_NO_THIRTIETH = ErrorCode(
    "CLIENT_LUNAR_NO_THIRTIETH",
    "In the lunar year of birth ({year}, from the birthday) {month} had 29 days: there was no 30th.",
    "出生当年（农历 {year} 年，据生日推算）{month_zh}只有 29 天，没有三十。",
)
LUNAR_NO_LEAP_MONTH = ErrorCode(
    "CLIENT_LUNAR_NO_LEAP_MONTH",
    "The lunar year of birth ({year}, from the birthday) had no leap month {month}.",
    "出生当年（农历 {year} 年，据生日推算）没有闰{month_zh}。",
)
IMPORT_LUNAR_FORMAT = ErrorCode(
    "CLIENT_IMPORT_LUNAR_FORMAT",
    "{value!r} is not a lunar birthday written month-day, a leap month marked 闰 (08-15, 闰04-08).",
    "“{value}”不是“月-日”格式的农历生日，闰月前加“闰”（如 08-15、闰04-08）。",
)
