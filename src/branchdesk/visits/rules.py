"""The vocabulary of walk-in visits and the queue: purposes, service lines (each with its ticket prefix),
ticket states, and the one table of which action moves a ticket from which state; every other pair is
refused naming the current state."""

from __future__ import annotations

import enum
from datetime import timedelta


class Purpose(enum.StrEnum):
    CASH = "cash"
    TRANSFER = "transfer"
    ACCOUNT_OPENING = "account_opening"
    WEALTH_ENQUIRY = "wealth_enquiry"
    LOAN_ENQUIRY = "loan_enquiry"
    COMPLAINT = "complaint"
    OTHER = "other"


class ServiceLine(enum.StrEnum):
    COUNTER = "counter"
    CUSTOMER_MANAGER = "customer_manager"
    VIP_ROOM = "vip_room"
    SELF_SERVICE = "self_service"


class TicketState(enum.StrEnum):
    """Where a ticket stands. A visit's state is its current ticket's; a transferred ticket stays in the
    visit's history and the visit goes on with a new ticket on the other line."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    SERVED = "served"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"


class TicketAction(enum.StrEnum):
    CALL = "call"
    START = "start"
    TRANSFER = "transfer"
    NO_SHOW = "no_show"
    END = "end"


PREFIXES: dict[ServiceLine, str] = {
    ServiceLine.COUNTER: "A",
    ServiceLine.CUSTOMER_MANAGER: "B",
    ServiceLine.VIP_ROOM: "V",
    ServiceLine.SELF_SERVICE: "S",
}
# Until a line has served anyone recently, its estimated wait counts this long per client ahead.
DEFAULT_SERVICE_TIME: dict[ServiceLine, timedelta] = {
    ServiceLine.COUNTER: timedelta(minutes=6),
    ServiceLine.CUSTOMER_MANAGER: timedelta(minutes=15),
    ServiceLine.VIP_ROOM: timedelta(minutes=20),
    ServiceLine.SELF_SERVICE: timedelta(minutes=3),
}

S, A = TicketState, TicketAction
# (action, state before) -> state after of the ticket acted on.
TRANSITIONS: dict[tuple[TicketAction, TicketState], TicketState] = {
    (A.CALL, S.WAITING): S.CALLED,
    (A.START, S.CALLED): S.SERVING,
    (A.END, S.SERVING): S.SERVED,
    (A.NO_SHOW, S.WAITING): S.NO_SHOW,  # left the lobby before being called: abandoned too
    (A.NO_SHOW, S.CALLED): S.NO_SHOW,
    (A.TRANSFER, S.WAITING): S.TRANSFERRED,
    (A.TRANSFER, S.CALLED): S.TRANSFERRED,
    (A.TRANSFER, S.SERVING): S.TRANSFERRED,
}
OPEN = (S.WAITING, S.CALLED, S.SERVING)  # a visit still in the branch
FINAL = (S.SERVED, S.NO_SHOW)


def ticket_number(line: ServiceLine, seq: int) -> str:
    """A001 … A999, then A1000: the prefix and at least three digits."""
    return f"{PREFIXES[line]}{seq:03d}"


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    Purpose: {
        "cash": ("Cash deposit or withdrawal", "现金存取"),
        "transfer": ("Transfer or remittance", "转账汇款"),
        "account_opening": ("Account opening", "开户"),
        "wealth_enquiry": ("Wealth management enquiry", "理财咨询"),
        "loan_enquiry": ("Loan enquiry", "贷款咨询"),
        "complaint": ("Complaint", "投诉"),
        "other": ("Other", "其他"),
    },
    ServiceLine: {
        "counter": ("Counter (A)", "柜台（A）"),
        "customer_manager": ("Customer manager (B)", "客户经理（B）"),
        "vip_room": ("VIP room (V)", "贵宾室（V）"),
        "self_service": ("Self-service (S)", "自助服务（S）"),
    },
    TicketState: {
        "waiting": ("Waiting", "等候中"),
        "called": ("Called", "已叫号"),
        "serving": ("Being served", "办理中"),
        "served": ("Served", "已办结"),
        "no_show": ("No-show", "过号未到"),
        "transferred": ("Transferred to another line", "已转其他业务线"),
    },
    TicketAction: {
        "call": ("Call", "叫号"),
        "start": ("Start the service", "开始办理"),
        "transfer": ("Transfer to another line", "转其他业务线"),
        "no_show": ("Mark as no-show", "标记过号"),
        "end": ("End the visit", "办结"),
    },
}
