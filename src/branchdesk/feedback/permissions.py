"""Permissions of client feedback and complaints.

Anyone who meets clients records what they say (``feedback:submit``: the front line, tellers included);
those who answer complaints read and work them (``complaint:handle``: branch head, customer and lobby
managers; the lobby manager runs the floor where most complaints start). Reading the branch's feedback
(``feedback:read``) is also given to the risk and compliance officers, who watch complaint trends.
Head office sets the SLA table (``complaint:manage_sla``).
"""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission

FEEDBACK_SUBMIT = permission(
    "feedback:submit",
    "Record client feedback and complaints",
    "登记客户反馈与投诉",
    baseline=["branch_head", "customer_manager", "lobby_manager", "teller"],
)
FEEDBACK_READ = permission(
    "feedback:read",
    "Read the branch's client feedback and complaints",
    "查看本网点客户反馈与投诉",
    baseline=["branch_head", "customer_manager", "lobby_manager", "risk_officer", "compliance_officer"],
)
COMPLAINT_HANDLE = permission(
    "complaint:handle",
    "Work complaints: acknowledge, investigate, resolve, close, reopen, assign",
    "处理客户投诉：确认、调查、解决、关闭、重新打开、指派",
    baseline=["branch_head", "customer_manager", "lobby_manager"],
)
COMPLAINT_MANAGE_SLA = permission(
    "complaint:manage_sla",
    "Set the complaint SLA table (head office)",
    "设置投诉处理时限（总行）",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
