"""Every permission and role the platform knows, and the head-office baseline of each role.

A permission is ``resource:action``. Its scope says where it can take effect: head-office
permissions only count for a member of the head office, whatever a branch grants itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"


@dataclass(frozen=True)
class Permission:
    name: str
    scope: Scope
    en: str
    zh: str

    @property
    def resource(self) -> str:
        return self.name.rsplit(":", 1)[0]

    @property
    def action(self) -> str:
        return self.name.rsplit(":", 1)[1]


def _p(name: str, en: str, zh: str, scope: Scope = Scope.BRANCH) -> Permission:
    return Permission(name, scope, en, zh)


HO = Scope.HEAD_OFFICE
PERMISSIONS: dict[str, Permission] = {
    p.name: p
    for p in (
        _p("branch:onboard", "Onboard branches", "开设网点", HO),
        _p("branch:suspend", "Suspend and reactivate branches", "暂停与恢复网点", HO),
        _p("branch:list", "List all branches", "查看全部网点", HO),
        _p("baseline:manage", "Change the role baseline", "维护角色基线", HO),
        _p("baseline:read", "See the baseline and every branch's drift from it", "查看角色基线及各网点偏离情况", HO),
        _p("branch:read", "Read the branch profile", "查看本网点信息"),
        _p("staff:read", "Read staff of the branch", "查看本网点员工"),
        _p("staff.pii:read", "See staff personal data unmasked", "查看员工敏感信息（不脱敏）"),
        _p("client:read", "Read clients", "查看客户"),
        _p("client:write", "Create and update clients", "维护客户"),
        _p("client.pii:read", "See client personal data unmasked", "查看客户敏感信息（不脱敏）"),
        _p("handoff:create", "Hand work to another role", "发起工作交接"),
        _p("handoff:accept", "Accept handed-over work", "接收工作交接"),
        _p("cash:initiate", "Initiate cash operations", "发起现金业务"),
        _p("cash:approve", "Approve cash operations", "复核现金业务"),
        _p("policy:manage", "Change the branch's roles and permissions", "调整本网点角色与权限"),
        _p("policy:audit", "Audit who may do what", "审计权限配置"),
        _p("audit:read", "Read the audit trail", "查看审计日志"),
        _p("access_review:manage", "Run access reviews", "组织权限复核"),
        _p("service_account:manage", "Create, rotate and deactivate the branch's service accounts", "管理本网点服务账号"),
    )
}


@dataclass(frozen=True)
class Role:
    name: str
    en: str
    zh: str
    baseline: frozenset[str]


def _role(name: str, en: str, zh: str, *permissions: str) -> Role:
    unknown = set(permissions) - PERMISSIONS.keys()
    if unknown:
        raise ValueError(f"unknown permissions in role {name}: {unknown}")
    return Role(name, en, zh, frozenset(permissions))


_EVERYONE = ("branch:read", "staff:read")
ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _role("branch_head", "Branch head", "网点负责人", *_EVERYONE, "staff.pii:read", "client:read", "client.pii:read",
              "handoff:create", "handoff:accept", "cash:approve", "policy:manage", "access_review:manage",
              "service_account:manage"),
        _role("customer_manager", "Customer manager", "客户经理", *_EVERYONE, "client:read", "client:write",
              "handoff:create", "handoff:accept"),
        _role("lobby_manager", "Lobby manager", "大堂经理", *_EVERYONE, "client:read", "handoff:create", "handoff:accept"),
        _role("teller", "Teller", "柜员", *_EVERYONE, "client:read", "cash:initiate", "handoff:create", "handoff:accept"),
        _role("risk_officer", "Risk officer", "风险经理", *_EVERYONE, "client:read", "client.pii:read", "audit:read"),
        _role("compliance_officer", "Compliance officer", "合规经理", *_EVERYONE, "staff.pii:read", "policy:audit",
              "audit:read", "access_review:manage"),
        _role("it_support", "IT support", "技术支持", *_EVERYONE),
        _role("head_office_admin", "Head-office administrator", "总行管理员", *_EVERYONE, "branch:onboard",
              "branch:suspend", "branch:list", "baseline:manage", "baseline:read", "policy:manage", "audit:read"),
        _role("auditor", "Auditor (read-only)", "审计员（只读）", *_EVERYONE, "branch:list", "baseline:read", "policy:audit",
              "audit:read"),
    )
}

# Separation of duties: holding both permissions of a pair is a conflict (configurable in the database).
DEFAULT_TOXIC_PAIRS = (
    ("cash-maker-checker", "cash:initiate", "cash:approve", "Initiates and approves the same cash operation", "同一人既发起又复核现金业务"),
    ("policy-self-audit", "policy:manage", "policy:audit", "Changes permissions and audits them", "既调整权限又审计权限"),
)


def split(permission: str) -> tuple[str, str]:
    resource, _, action = permission.rpartition(":")
    return resource, action
