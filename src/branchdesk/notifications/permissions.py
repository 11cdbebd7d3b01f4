"""Permissions of the inbox: everyone reads and manages their own notifications, nobody anyone else's."""

from __future__ import annotations

from branchdesk.access.registry import permission
from branchdesk.rbac.permissions import EVERYONE

NOTIFICATION_READ = permission(
    "notification:read",
    "Read one's own notifications and set how they arrive",
    "查看本人通知并设置接收方式",
    baseline=EVERYONE,
)
