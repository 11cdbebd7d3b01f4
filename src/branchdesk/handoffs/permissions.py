"""Permissions of handoffs and comments.

Every role of a branch hands work to others and works what is handed to it (``handoff:raise``); a
member sees what they raised, what is assigned to them and their role's queue. The branch head reads
and steers the whole branch's handoffs (``handoff:manage``: reassign, cancel any, run the SLA watch);
risk and compliance officers read them (``handoff:read``). Comments need ``comment:write``.
"""

from __future__ import annotations

from branchdesk.access.registry import permission

EVERY_ROLE = [
    "branch_head",
    "customer_manager",
    "lobby_manager",
    "teller",
    "risk_officer",
    "compliance_officer",
    "it_support",
]

HANDOFF_RAISE = permission(
    "handoff:raise",
    "Hand work to a colleague or a role, and work what is handed to you",
    "发起协作事项并处理指派给自己的事项",
    baseline=EVERY_ROLE,
)
HANDOFF_READ = permission(
    "handoff:read",
    "Read every handoff of the branch",
    "查看本网点全部协作事项",
    baseline=["branch_head", "risk_officer", "compliance_officer"],
)
HANDOFF_MANAGE = permission(
    "handoff:manage",
    "Steer the branch's handoffs: reassign, cancel any, escalate breaches",
    "管理本网点协作事项：转派、撤销、超时升级",
    baseline=["branch_head"],
)
COMMENT_WRITE = permission(
    "comment:write",
    "Comment on handoffs, clients and tickets, mentioning colleagues",
    "在协作事项、客户和工单上发表评论并提及同事",
    baseline=EVERY_ROLE,
)
