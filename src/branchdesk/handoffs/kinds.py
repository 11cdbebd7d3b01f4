"""The notifications handoffs and comments raise."""

from __future__ import annotations

from branchdesk.notifications.kinds import notification_kind

HANDOFF_ASSIGNED = notification_kind("handoff.assigned", "A handoff was assigned to you", "有协作事项指派给您")
HANDOFF_ESCALATED = notification_kind("handoff.escalated", "A handoff is past its due time", "协作事项已超时")
HANDOFF_FINISHED = notification_kind("handoff.finished", "A handoff you raised was finished", "您发起的协作事项已办结")
MENTIONED = notification_kind("comment.mentioned", "You were mentioned in a comment", "有人在评论中提及您")
