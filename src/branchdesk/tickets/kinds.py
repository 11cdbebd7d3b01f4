"""The notifications incidents raise."""

from __future__ import annotations

from branchdesk.notifications.kinds import notification_kind

INCIDENT_DECLARED = notification_kind("incident.declared", "The branch is in incident mode", "网点启动突发事件处置")
INCIDENT_CLOSED = notification_kind("incident.closed", "An incident was closed", "突发事件处置结束")
