"""The vocabulary of client feedback and the complaint workflow: one table says which transition each
action makes from each state; every pair not in it is refused."""

from __future__ import annotations

import enum


class FeedbackKind(enum.StrEnum):
    PRAISE = "praise"
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"


class Channel(enum.StrEnum):
    COUNTER = "counter"
    HOTLINE = "hotline"
    OPINION_BOX = "opinion_box"
    SURVEY = "survey"
    ONLINE = "online"
    REGULATOR_REFERRAL = "regulator_referral"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintState(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ComplaintAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START_INVESTIGATION = "start_investigation"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


class Breach(enum.StrEnum):
    """Which promise a complaint broke: acknowledged too late, or resolved too late."""

    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


S, A = ComplaintState, ComplaintAction
# (action, state before) -> state after. Anything else is refused naming the current state.
TRANSITIONS: dict[tuple[ComplaintAction, ComplaintState], ComplaintState] = {
    (A.ACKNOWLEDGE, S.RECEIVED): S.ACKNOWLEDGED,
    (A.START_INVESTIGATION, S.ACKNOWLEDGED): S.INVESTIGATING,
    (A.RESOLVE, S.INVESTIGATING): S.RESOLVED,
    (A.CLOSE, S.RESOLVED): S.CLOSED,
    (A.REOPEN, S.RESOLVED): S.INVESTIGATING,
    (A.REOPEN, S.CLOSED): S.INVESTIGATING,
}

# Still owed an acknowledgement / a resolution: the states the breach queries look in.
AWAITING_ACKNOWLEDGEMENT = (S.RECEIVED,)
OPEN = (S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING)

LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    FeedbackKind: {
        "praise": ("Praise", "表扬"),
        "suggestion": ("Suggestion", "建议"),
        "complaint": ("Complaint", "投诉"),
    },
    Channel: {
        "counter": ("At the counter", "柜面"),
        "hotline": ("Hotline", "客服热线"),
        "opinion_box": ("Opinion box", "意见箱"),
        "survey": ("Survey", "问卷调查"),
        "online": ("Online (app, web)", "线上渠道"),
        "regulator_referral": ("Referred by the regulator", "监管转办"),
    },
    Severity: {
        "low": ("Low", "低"),
        "medium": ("Medium", "中"),
        "high": ("High", "高"),
        "critical": ("Critical", "重大"),
    },
    ComplaintState: {
        "received": ("Received", "已受理"),
        "acknowledged": ("Acknowledged", "已确认"),
        "investigating": ("Investigating", "调查中"),
        "resolved": ("Resolved", "已解决"),
        "closed": ("Closed", "已关闭"),
    },
    ComplaintAction: {
        "acknowledge": ("Acknowledge", "确认"),
        "start_investigation": ("Start the investigation", "开始调查"),
        "resolve": ("Resolve", "解决"),
        "close": ("Close", "关闭"),
        "reopen": ("Reopen", "重新打开"),
    },
    Breach: {
        "acknowledge": ("Not acknowledged in time", "未按时确认"),
        "resolve": ("Not resolved in time", "未按时解决"),
    },
}


def next_state(action: ComplaintAction, state: ComplaintState) -> ComplaintState | None:
    """The state ``action`` leads to from ``state``; None when the table refuses it."""
    return TRANSITIONS.get((action, state))
