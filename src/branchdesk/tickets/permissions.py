"""Permissions of support tickets and incidents.

Anyone in the branch opens a ticket (``ticket:open``; it is worked as a handoff, with ``handoff:raise``).
The branch head, the lobby manager (who runs the floor) and IT support declare and run an incident
(``incident:manage``); everyone reads the branch's incidents and posts to their timeline
(``incident:read``).
"""

from __future__ import annotations

from branchdesk.access.registry import permission
from branchdesk.handoffs.permissions import EVERY_ROLE

TICKET_OPEN = permission("ticket:open", "Open a support ticket", "提交技术支持工单", baseline=EVERY_ROLE)
INCIDENT_READ = permission(
    "incident:read",
    "Read the branch's incidents and post updates to them",
    "查看本网点突发事件并更新进展",
    baseline=EVERY_ROLE,
)
INCIDENT_MANAGE = permission(
    "incident:manage",
    "Declare and close an incident (system outage, security event, crowding)",
    "启动和关闭突发事件处置（系统故障、安全事件、客流拥堵）",
    baseline=["branch_head", "lobby_manager", "it_support"],
)
