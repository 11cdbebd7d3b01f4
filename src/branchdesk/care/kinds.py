"""Notifications raised by care follow-ups."""

from __future__ import annotations

from branchdesk.notifications.kinds import notification_kind

DUE_TODAY = notification_kind("care.due_today", "Follow-ups due today", "今日待跟进客户")
OVERDUE = notification_kind("care.overdue", "A follow-up is overdue", "客户跟进已逾期")
HANDED_OVER = notification_kind("care.handed_over", "Follow-ups handed over to you", "转交给您的客户跟进")
