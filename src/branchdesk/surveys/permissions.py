"""Permissions of surveys.

The branch head defines the branch's own questionnaires (``survey:define``); head office defines and
publishes one to every branch (``survey:publish``). Whoever meets clients records their answers
(``survey:respond``). Reading surveys and their results (``survey:read``) goes to the branch head, the
managers and the officers who watch service quality; head office reads results across branches.
"""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission

SURVEY_DEFINE = permission(
    "survey:define",
    "Define the branch's client surveys",
    "定义本网点客户问卷",
    baseline=["branch_head", "head_office_admin"],
)
SURVEY_PUBLISH = permission(
    "survey:publish",
    "Publish a head-office survey to every branch",
    "向全部网点发布总行问卷",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
SURVEY_RESPOND = permission(
    "survey:respond",
    "Record clients' survey responses",
    "登记客户问卷答复",
    baseline=["branch_head", "customer_manager", "lobby_manager", "teller"],
)
SURVEY_READ = permission(
    "survey:read",
    "Read the branch's surveys and their results (CSAT, NPS, answers)",
    "查看本网点问卷及结果（满意度、净推荐值、答案分布）",
    baseline=["branch_head", "customer_manager", "lobby_manager", "compliance_officer", "head_office_admin"],
)
SURVEY_RESULTS_ALL = permission(
    "survey.results:read_all",
    "Read a head-office survey's results across every branch",
    "查看总行问卷在全部网点的结果",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
