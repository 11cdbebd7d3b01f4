"""The notifications directives raise."""

from __future__ import annotations

from branchdesk.notifications.kinds import notification_kind

PUBLISHED = notification_kind("directive.published", "A head-office directive to attest", "待确认的总行通知")
REMINDER = notification_kind("directive.reminder", "A directive's attestation deadline is near", "总行通知确认期限将至")
ESCALATED = notification_kind(
    "directive.escalated", "Staff missed a directive's attestation deadline", "有员工逾期未确认总行通知"
)
ANSWERED = notification_kind("directive.answered", "Head office answered your question", "总行已答复您的提问")
