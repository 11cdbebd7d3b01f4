"""Permissions of tiers, scores and segments.

Everyone who serves clients sees the tier ladder; head office sets it and the dormancy rule
(``tier:define``), a branch head adjusts the branch's thresholds (``tier:override``). Customer managers and
the branch head define and preview segments (``segment:manage``); reading a segment's members also needs
``client:read`` and reaches only the clients the reader's data scope reaches. Head office publishes
segment templates to every branch (``segment:publish``).
"""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission

TIER_DEFINE = permission(
    "tier:define",
    "Define the value tiers and the lifecycle rules for every branch (head office)",
    "定义客户价值等级与生命周期规则（总行）",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
TIER_OVERRIDE = permission(
    "tier:override",
    "Set the branch's own value-tier thresholds",
    "设置本网点客户等级门槛",
    baseline=["branch_head"],
)
SEGMENT_READ = permission(
    "segment:read",
    "See the branch's client segments and their members (within your client data scope)",
    "查看客户细分及其成员（限可查看的客户）",
    baseline=["branch_head", "customer_manager", "risk_officer"],
)
SEGMENT_MANAGE = permission(
    "segment:manage",
    "Define, change and preview client segments",
    "定义、修改和预览客户细分",
    baseline=["branch_head", "customer_manager"],
)
SEGMENT_PUBLISH = permission(
    "segment:publish",
    "Publish segment templates to every branch (head office)",
    "向所有网点发布客户细分模板（总行）",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
