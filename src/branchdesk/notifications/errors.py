"""Error codes of the inbox."""

from __future__ import annotations

from branchdesk.platform.errors import ErrorCode

NOTIFICATION_IDS = ErrorCode(
    "NOTIFICATION_IDS",
    "Mark 1 to {limit} notifications at a time.",
    "每次可标记 1 至 {limit} 条通知。",
)
NOTIFICATION_SIGNED_IN = ErrorCode(
    "NOTIFICATION_SIGNED_IN",
    "Notifications belong to a member of staff; a service account has none.",
    "通知仅属于员工本人，服务账号没有通知。",
)
