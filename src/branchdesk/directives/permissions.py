"""Permissions of directives: head office publishes and monitors them; everyone in a branch reads,
attests and asks about those addressed to it."""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission
from branchdesk.rbac.permissions import AUDITOR, EVERYONE, HEAD_OFFICE_ADMIN

DIRECTIVE_PUBLISH = permission(
    "directive:publish",
    "Publish and supersede head-office directives, answer branches' questions about them",
    "发布、更正总行通知与指令，答复网点提问",
    scope=Scope.HEAD_OFFICE,
    baseline=[HEAD_OFFICE_ADMIN],
)
DIRECTIVE_MONITOR = permission(
    "directive:monitor",
    "See every branch's attestation of head-office directives, and who is missing",
    "查看各网点对总行通知的确认率及未确认人员",
    scope=Scope.HEAD_OFFICE,
    baseline=[HEAD_OFFICE_ADMIN, AUDITOR],
)
DIRECTIVE_READ = permission(
    "directive:read",
    "Read the head-office directives addressed to the branch (head office: every one), attest them and ask about them",
    "阅读下发本网点的总行通知（总行可阅读全部），确认已读并提问",
    baseline=EVERYONE,
)
