"""The vocabulary of support tickets and incidents."""

from __future__ import annotations

import enum


class TicketQueue(enum.StrEnum):
    """Who a ticket goes to: each queue is a handoff type of the head-office list."""

    IT_SUPPORT = "it_support"
    BACK_OFFICE = "back_office"


QUEUE_TYPES = {TicketQueue.IT_SUPPORT: "it_help", TicketQueue.BACK_OFFICE: "back_office"}


class TicketCategory(enum.StrEnum):
    HARDWARE = "hardware"
    SOFTWARE = "software"
    NETWORK = "network"
    CORE_BANKING = "core_banking"
    ACCESS = "access"
    CASH_EQUIPMENT = "cash_equipment"
    OPERATIONS = "operations"
    OTHER = "other"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


# Business hours to resolve, by severity (the queue's own SLA is the medium one).
SEVERITY_HOURS = {Severity.CRITICAL: 1, Severity.HIGH: 2, Severity.LOW: 16}


class IncidentKind(enum.StrEnum):
    SYSTEM_OUTAGE = "system_outage"
    SECURITY_EVENT = "security_event"
    CROWDING = "crowding"


class IncidentState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    TicketQueue: {"it_support": ("IT support", "技术支持"), "back_office": ("Back office", "后台运营")},
    TicketCategory: {
        "hardware": ("Hardware", "硬件设备"),
        "software": ("Software", "软件系统"),
        "network": ("Network", "网络"),
        "core_banking": ("Core banking", "核心系统"),
        "access": ("Accounts and access", "账号与权限"),
        "cash_equipment": ("Cash equipment (ATM, counters)", "现金机具"),
        "operations": ("Operations", "运营业务"),
        "other": ("Other", "其他"),
    },
    Severity: {
        "low": ("Low", "低"),
        "medium": ("Medium", "中"),
        "high": ("High", "高"),
        "critical": ("Critical", "紧急"),
    },
    IncidentKind: {
        "system_outage": ("System outage", "系统故障"),
        "security_event": ("Security event", "安全事件"),
        "crowding": ("Crowding", "客流拥堵"),
    },
    IncidentState: {"open": ("Open", "处置中"), "closed": ("Closed", "已关闭")},
}
