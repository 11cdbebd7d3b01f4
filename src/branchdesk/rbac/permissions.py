"""The roles of a branch and of head office, the policy permissions, and the separation-of-duties pairs.

Permissions of domains that are not built yet (handoffs, cash) are declared here so that the
baseline, the demo policy and the separation-of-duties pairs can name them; each moves to its domain's
``permissions.py`` when that domain lands (its stored baseline stays as it is).
"""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission, role

BRANCH_HEAD = role("branch_head", "Branch head", "网点负责人")
CUSTOMER_MANAGER = role("customer_manager", "Customer manager", "客户经理")
LOBBY_MANAGER = role("lobby_manager", "Lobby manager", "大堂经理")
TELLER = role("teller", "Teller", "柜员")
RISK_OFFICER = role("risk_officer", "Risk officer", "风险经理")
COMPLIANCE_OFFICER = role("compliance_officer", "Compliance officer", "合规经理")
IT_SUPPORT = role("it_support", "IT support", "技术支持")
HEAD_OFFICE_ADMIN = role("head_office_admin", "Head-office administrator", "总行管理员")
AUDITOR = role("auditor", "Auditor (read-only)", "审计员（只读）")

BRANCH_ROLES = (BRANCH_HEAD, CUSTOMER_MANAGER, LOBBY_MANAGER, TELLER, RISK_OFFICER, COMPLIANCE_OFFICER, IT_SUPPORT)
EVERYONE = (*BRANCH_ROLES, HEAD_OFFICE_ADMIN, AUDITOR)
# Roles that act across branches: held in the head office only, never given inside a branch.
HEAD_OFFICE_ROLES = frozenset({HEAD_OFFICE_ADMIN, AUDITOR})
HO = Scope.HEAD_OFFICE

BASELINE_MANAGE = permission(
    "baseline:manage", "Change the role baseline", "维护角色基线", scope=HO, baseline=[HEAD_OFFICE_ADMIN]
)
BASELINE_READ = permission(
    "baseline:read",
    "See the baseline and every branch's drift from it",
    "查看角色基线及各网点偏离情况",
    scope=HO,
    baseline=[HEAD_OFFICE_ADMIN, AUDITOR],
)
POLICY_MANAGE = permission(
    "policy:manage",
    "Change the branch's roles and permissions",
    "调整本网点角色与权限",
    baseline=[BRANCH_HEAD, HEAD_OFFICE_ADMIN],
)
POLICY_AUDIT = permission(
    "policy:audit", "Audit who may do what", "审计权限配置", baseline=[COMPLIANCE_OFFICER, AUDITOR]
)
AUDIT_READ = permission(
    "audit:read",
    "Read the audit trail",
    "查看审计日志",
    baseline=[RISK_OFFICER, COMPLIANCE_OFFICER, HEAD_OFFICE_ADMIN, AUDITOR],
)

permission(
    "handoff:create",
    "Hand work to another role",
    "发起工作交接",
    baseline=[BRANCH_HEAD, CUSTOMER_MANAGER, LOBBY_MANAGER, TELLER],
)
permission(
    "handoff:accept",
    "Accept handed-over work",
    "接收工作交接",
    baseline=[BRANCH_HEAD, CUSTOMER_MANAGER, LOBBY_MANAGER, TELLER],
)
permission("cash:initiate", "Initiate cash operations", "发起现金业务", baseline=[TELLER])
permission("cash:approve", "Approve cash operations", "复核现金业务", baseline=[BRANCH_HEAD])

# Separation of duties: holding both permissions of a pair is a conflict (configurable in the database).
DEFAULT_TOXIC_PAIRS = (
    (
        "cash-maker-checker",
        "cash:initiate",
        "cash:approve",
        "Initiates and approves the same cash operation",
        "同一人既发起又复核现金业务",
    ),
    (
        "policy-self-audit",
        "policy:manage",
        "policy:audit",
        "Changes permissions and audits them",
        "既调整权限又审计权限",
    ),
)
