"""The vocabulary of handoffs: one table says which state each action leads to from each state; every
pair not in it is refused, naming the state the handoff is in."""

from __future__ import annotations

import enum


class HandoffState(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class HandoffAction(enum.StrEnum):
    ACCEPT = "accept"
    START = "start"
    COMPLETE = "complete"
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REASSIGN = "reassign"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class SubjectType(enum.StrEnum):
    """What a comment (or an origin reference) is about."""

    HANDOFF = "handoff"
    CLIENT = "client"
    TICKET = "ticket"


class OriginType(enum.StrEnum):
    """Where a handoff came from: a walk-in visit, a branch meeting, a support ticket or another handoff."""

    VISIT = "visit"
    MEETING = "meeting"
    TICKET = "ticket"
    HANDOFF = "handoff"


# The table each kind of origin lives in (an origin is checked to exist in the branch when it is given).
ORIGIN_TABLES = {
    OriginType.VISIT: "visits",
    OriginType.MEETING: "meetings",
    OriginType.TICKET: "support_tickets",
    OriginType.HANDOFF: "handoffs",
}

S, A = HandoffState, HandoffAction
OPEN = (S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS)
# (action, state before) -> state after. Anything else is refused naming the current state.
TRANSITIONS: dict[tuple[HandoffAction, HandoffState], HandoffState] = {
    (A.ACCEPT, S.SUBMITTED): S.ACCEPTED,
    (A.START, S.ACCEPTED): S.IN_PROGRESS,
    (A.COMPLETE, S.IN_PROGRESS): S.DONE,
    (A.DECLINE, S.SUBMITTED): S.DECLINED,
    (A.DECLINE, S.ACCEPTED): S.DECLINED,
    **{(A.CANCEL, s): S.CANCELLED for s in OPEN},
    **{(A.EXPIRE, s): S.EXPIRED for s in OPEN},
    # Handed on to someone else, it waits for them to accept it.
    **{(A.REASSIGN, s): S.SUBMITTED for s in OPEN},
}

LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    HandoffState: {
        "submitted": ("Submitted", "已提交"),
        "accepted": ("Accepted", "已接收"),
        "in_progress": ("In progress", "处理中"),
        "done": ("Done", "已完成"),
        "declined": ("Declined", "已拒绝"),
        "cancelled": ("Cancelled", "已撤销"),
        "expired": ("Expired", "已过期"),
    },
    HandoffAction: {
        "accept": ("Accept", "接收"),
        "start": ("Start", "开始处理"),
        "complete": ("Complete", "完成"),
        "decline": ("Decline", "拒绝"),
        "cancel": ("Cancel", "撤销"),
        "expire": ("Expire", "过期"),
        "reassign": ("Reassign", "转派"),
    },
    Priority: {
        "low": ("Low", "低"),
        "normal": ("Normal", "普通"),
        "high": ("High", "高"),
        "urgent": ("Urgent", "紧急"),
    },
    SubjectType: {
        "handoff": ("Handoff", "协作事项"),
        "client": ("Client", "客户"),
        "ticket": ("Support ticket", "技术支持工单"),
    },
    OriginType: {
        "visit": ("Walk-in visit", "到店访问"),
        "meeting": ("Branch meeting", "网点例会"),
        "ticket": ("Support ticket", "技术支持工单"),
        "handoff": ("Handoff", "协作事项"),
    },
}
