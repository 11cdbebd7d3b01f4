"""Permissions of the CRM. Reading, changing and reassigning clients are data-scoped: each grant says
whether it reaches the holder's own book (owned or co-owned clients), their team's, or the branch."""

from __future__ import annotations

from branchdesk.access.registry import DataScope, permission

OWN, TEAM, BRANCH = DataScope.OWN, DataScope.TEAM, DataScope.BRANCH

CLIENT_READ = permission(
    "client:read",
    "Read client profiles",
    "查看客户档案",
    baseline={"branch_head": BRANCH, "customer_manager": OWN, "risk_officer": BRANCH},
)
CLIENT_WRITE = permission(
    "client:write", "Create and update clients", "维护客户", baseline={"branch_head": BRANCH, "customer_manager": OWN}
)
CLIENT_ASSIGN = permission(
    "client:assign",
    "Reassign clients to another customer manager",
    "调整客户归属",
    baseline={"branch_head": BRANCH, "customer_manager": OWN},
)
CLIENT_PII_READ = permission(
    "client.pii:read",
    "See client personal data unmasked (for the clients one may read)",
    "查看客户敏感信息（不脱敏，限可查看的客户）",
    baseline=["branch_head", "customer_manager", "risk_officer"],
)
CLIENT_CARD_READ = permission(
    "client.card:read",
    "See a client's routing card (masked name, stage, owner) to guide them",
    "查看客户分流卡片（脱敏姓名、阶段、客户经理）",
    baseline=["branch_head", "customer_manager", "lobby_manager", "teller"],
)
INTERACTION_LOG = permission(
    "interaction:log",
    "Log calls, visits, messages, meetings and notes on clients' timelines",
    "登记客户接触记录（电话、拜访、消息、会面、备注）",
    baseline={"branch_head": BRANCH, "customer_manager": OWN},
)
CLIENT_IMPORT = permission(
    "client:import",
    "Load clients from a core-banking file or feed (creates and updates any client of the branch)",
    "从核心系统文件或数据推送导入客户（可新增、更新本网点任一客户）",
    baseline=["branch_head"],
)
