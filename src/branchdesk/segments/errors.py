"""Error codes of tiers, scoring and segments. A rule's errors name the path in the tree as their field,
e.g. ``rule.and[1].not.aum.min``."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

TIER_UNKNOWN = ErrorCode("TIER_UNKNOWN", "There is no value tier {tier}.", "不存在客户等级 {tier}。")
TIER_THRESHOLDS = ErrorCode(
    "TIER_THRESHOLDS",
    "Thresholds rise with the tiers: the lowest tier starts at 0 and each higher tier needs more AUM.",
    "等级门槛须逐级递增：最低等级从 0 起，更高等级要求更多资产。",
)
TIER_LADDER = ErrorCode(
    "TIER_LADDER",
    "Name between 2 and 10 tiers, each code once (lower case letters, digits and _), with both names.",
    "须定义 2 至 10 个等级，代码不重复（小写字母、数字和下划线），并填写中英文名称。",
)
SCORING_MONTHS = ErrorCode(
    "SCORING_MONTHS",
    "Dormant after 1 to 60 months without activity; new for 1 to 24 months.",
    "休眠期须为 1 至 60 个月，新客户期须为 1 至 24 个月。",
)
RULE_UNKNOWN_FIELD = ErrorCode(
    "SEGMENT_RULE_UNKNOWN_FIELD",
    "There is no condition or setting called {name} here.",
    "此处不存在条件或参数 {name}。",
)
RULE_WRONG_TYPE = ErrorCode("SEGMENT_RULE_WRONG_TYPE", "Expected {expected} here.", "此处应为{expected_zh}。")
RULE_ONE_CONDITION = ErrorCode(
    "SEGMENT_RULE_ONE_CONDITION",
    "Each node of a rule holds exactly one condition (use and / or to combine them).",
    "规则的每个节点只能有一个条件（多个条件请用 and / or 组合）。",
)
RULE_EMPTY = ErrorCode(
    "SEGMENT_RULE_EMPTY", "An and / or / in list needs at least one entry.", "and / or / in 列表至少需要一项。"
)
RULE_RANGE = ErrorCode(
    "SEGMENT_RULE_RANGE",
    "Give a minimum, a maximum or both, not negative, the minimum not above the maximum.",
    "请填写下限、上限或两者，不能为负数，且下限不能高于上限。",
)
RULE_DAYS = ErrorCode("SEGMENT_RULE_DAYS", "Between 0 and {limit} days.", "须在 0 至 {limit} 天之间。")
RULE_UNKNOWN_VALUE = ErrorCode(
    "SEGMENT_RULE_UNKNOWN_VALUE", "{value} is not one of: {allowed}.", "{value} 不在可选范围内：{allowed}。"
)
RULE_TOO_LARGE = ErrorCode(
    "SEGMENT_RULE_TOO_LARGE",
    "A rule holds at most {nodes} conditions, nested at most {depth} deep.",
    "规则最多包含 {nodes} 个条件，嵌套不超过 {depth} 层。",
)
SEGMENT_NAME = ErrorCode("SEGMENT_NAME", "A segment's name is 1 to 100 characters.", "细分名称须为 1 至 100 个字符。")
SEGMENT_NAME_TAKEN = ErrorCode(
    "SEGMENT_NAME_TAKEN", "The branch already has a segment called {name}.", "本网点已有名为 {name} 的细分。"
)
