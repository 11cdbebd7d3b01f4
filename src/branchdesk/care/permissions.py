"""Permissions of care plans and follow-ups.

The branch head defines and runs the branch's care plans (``care:plan``); everyone who serves clients
reads them (``care:read``) and works the follow-ups given to them (``follow_up:work``: their own, and
what they hold as a cover). The branch head sees and moves the whole branch's follow-ups
(``follow_up:manage``), completion rates included.
"""

from __future__ import annotations

from branchdesk.access.registry import permission

CARE_PLAN = permission(
    "care:plan",
    "Define, change, pause and resume the branch's care plans",
    "制定、修改、暂停和启用本网点客户关怀计划",
    baseline=["branch_head"],
)
CARE_READ = permission(
    "care:read",
    "Read the branch's care plans",
    "查看本网点客户关怀计划",
    baseline=["branch_head", "customer_manager", "lobby_manager"],
)
FOLLOW_UP_WORK = permission(
    "follow_up:work",
    "Work one's own care follow-ups (my day, complete, reschedule)",
    "处理本人的客户跟进（我的一天、完成、改期）",
    baseline=["branch_head", "customer_manager", "lobby_manager", "teller"],
)
FOLLOW_UP_MANAGE = permission(
    "follow_up:manage",
    "See and reassign every follow-up of the branch; completion rates",
    "查看和改派本网点全部客户跟进，查看完成率",
    baseline=["branch_head"],
)
