"""Error codes of care plans and follow-ups."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

PLAN_NAME = ErrorCode("CARE_PLAN_NAME", "A plan's name is 1 to 100 characters.", "关怀计划名称须为 1 至 100 个字符。")
PLAN_NAME_TAKEN = ErrorCode(
    "CARE_PLAN_NAME_TAKEN", "The branch already has a care plan named {name}.", "本网点已有名为“{name}”的关怀计划。"
)
PLAN_TITLE = ErrorCode(
    "CARE_PLAN_TITLE", "What the follow-up asks for is 1 to 200 characters.", "跟进事项须为 1 至 200 个字符。"
)
PLAN_OFFSETS = ErrorCode(
    "CARE_PLAN_OFFSETS",
    "Give 1 to {most} distinct offsets of -{limit} to {limit} days ({rule}).",
    "须给出 1 至 {most} 个互不相同的天数偏移，范围 -{limit} 至 {limit}（{rule_zh}）。",
)
PLAN_ROLE = ErrorCode(
    "CARE_PLAN_ROLE",
    "Name the role whose holder takes the follow-ups (and only when assigning to a role).",
    "指派给岗位时须指定岗位名称（仅此时需要）。",
)
UNKNOWN_ROLE = ErrorCode("CARE_UNKNOWN_ROLE", "No role {role} in this branch.", "本网点没有岗位 {role}。")
CONTACT_HOURS = ErrorCode(
    "CARE_CONTACT_HOURS", "Contact hours start before they end.", "联系时段的开始时间须早于结束时间。"
)
RETRIES = ErrorCode(
    "CARE_RETRIES",
    "Retry after 1 to 30 days, at most 10 times.",
    "未联系上的重试间隔须为 1 至 30 天，最多重试 10 次。",
)
PLAN_STATE = ErrorCode("CARE_PLAN_STATE", "The plan is already {state}.", "该计划已处于“{state_zh}”状态。")
FOLLOW_UP_CLOSED = ErrorCode(
    "FOLLOW_UP_CLOSED",
    "This follow-up is {state}: only an open one can change.",
    "该跟进已{state_zh}，仅待跟进的可以修改。",
)
RESCHEDULE_DATE = ErrorCode(
    "FOLLOW_UP_RESCHEDULE_DATE",
    "Move a follow-up to a working day from today up to {days} days ahead.",
    "跟进日期须改为今天起 {days} 天内的工作日。",
)
NOTE_LENGTH = ErrorCode("FOLLOW_UP_NOTE", "A note is at most 2000 characters.", "备注最多 2000 个字符。")
REASSIGN_COUNT = ErrorCode(
    "FOLLOW_UP_REASSIGN_COUNT", "Reassign 1 to {most} follow-ups at once.", "每次可改派 1 至 {most} 条跟进。"
)
SETTINGS_VALUE = ErrorCode(
    "CARE_SETTINGS_VALUE",
    "A weekly cap of 1 to 20 contacts and an escalation after 1 to 30 business days.",
    "每周联系上限须为 1 至 20 次，逾期升级须为 1 至 30 个工作日。",
)
DATE_RANGE = ErrorCode(
    "CARE_DATE_RANGE", "A range of at most {days} days, in order.", "日期范围须按先后且不超过 {days} 天。"
)
FEED_LINK = ErrorCode("CARE_FEED_LINK", "This calendar link is not valid or has expired.", "该日历链接无效或已过期。")
PLAN_SEGMENT = ErrorCode(
    "CARE_PLAN_SEGMENT",
    "A segment-entry plan names its segment (and only such a plan names one).",
    "“进入客户细分”类计划须指定客户细分（其他计划不能指定）。",
)
PLAN_RHYTHM = ErrorCode(
    "CARE_PLAN_RHYTHM",
    "A tier-rhythm plan names a value tier ({tiers}) and a rhythm of 1, 3, 6 or 12 months (and only such a plan).",
    "“按客户等级定期回访”类计划须指定客户等级（{tiers}）及 1、3、6 或 12 个月的周期（其他计划不能指定）。",
)
TIME_OF_DAY = ErrorCode(
    "CARE_TIME_OF_DAY", "A time of day is HH:MM, 00:00 to 23:59.", "时间须为 HH:MM 格式（00:00 至 23:59）。"
)
PLAN_TRIGGER = ErrorCode(
    "CARE_PLAN_TRIGGER",
    "A plan keeps its trigger: define a new plan for another one.",
    "计划的触发条件不能修改，如需其他触发条件请新建计划。",
)
PLAN_CALENDAR = ErrorCode(
    "CARE_PLAN_CALENDAR",
    "Only a birthday plan chooses between the solar and the lunar birthday.",
    "仅“生日祝福”类计划可选择按公历或农历生日。",
)
