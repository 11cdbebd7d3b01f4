"""Error codes of the business calendar."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

DATE_RANGE = ErrorCode(
    "CALENDAR_DATE_RANGE",
    "{date} is outside the calendar's dates ({first} to {last}).",
    "{date} 超出日历范围（{first} 至 {last}）。",
)

RANGE_TOO_LONG = ErrorCode(
    "CALENDAR_RANGE_TOO_LONG",
    "Ask for at most {limit} days at once, from a date not after the end date.",
    "每次最多查询 {limit} 天，且开始日期不得晚于结束日期。",
)

HOLIDAY_NAME = ErrorCode(
    "CALENDAR_HOLIDAY_NAME",
    "A holiday name is 1 to 100 characters, in Chinese and in English.",
    "节假日名称须为 1 至 100 个字符，中英文均须填写。",
)

REGION = ErrorCode(
    "CALENDAR_REGION",
    "A region is ALL, a two-letter country code such as CN, HK or GB, or a subdivision such as CN-XZ (got {region}).",
    "地区须为 ALL、两位字母代码（如 CN、HK、GB）或下级地区代码（如 CN-XZ）（收到 {region}）。",
)

CLOSURE_IN_PAST = ErrorCode(
    "CALENDAR_CLOSURE_IN_PAST",
    "A closure that has begun ({starts_on}) cannot be added or removed; today is {today} in the branch.",
    "已开始的停业安排（{starts_on}）不能添加或撤销，网点当地今天是 {today}。",
)

CLOSURE_ORDER = ErrorCode(
    "CALENDAR_CLOSURE_ORDER",
    "A closure ends on or after the day it starts, and lasts at most {limit} days.",
    "停业结束日期不得早于开始日期，且最长 {limit} 天。",
)

CLOSURE_OVERLAP = ErrorCode(
    "CALENDAR_CLOSURE_OVERLAP",
    "The branch is already closed from {starts_on} to {ends_on} ({reason}).",
    "网点已安排 {starts_on} 至 {ends_on} 停业（{reason}）。",
)

CLOSURE_REASON = ErrorCode(
    "CALENDAR_CLOSURE_REASON", "A closure's reason is 1 to 200 characters.", "停业原因须为 1 至 200 个字符。"
)

CALENDAR_FILE = ErrorCode(
    "CALENDAR_FILE",
    "Line {line}: {reason}",
    "第 {line} 行：{reason_zh}",
)
