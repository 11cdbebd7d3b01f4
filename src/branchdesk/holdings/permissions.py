"""Permissions of the product catalogue and the holdings feed.

Everyone reads the catalogue; head office defines it. Holdings are read with the client they belong
to (``client:read``, in the reader's data scope). ``holding:feed`` is for the core-banking feed's service
account: it loads holdings and records exchange rates. The branch head holds it in the baseline only so
that they can hand it to that account (nobody gives a machine more than they hold).
"""

from __future__ import annotations

from branchdesk.access.registry import Scope, permission
from branchdesk.rbac.permissions import EVERYONE

PRODUCT_READ = permission("product:read", "Read the product catalogue", "查看产品目录", baseline=EVERYONE)
PRODUCT_MANAGE = permission(
    "product:manage",
    "Define and update the head-office product catalogue",
    "维护总行产品目录",
    scope=Scope.HEAD_OFFICE,
    baseline=["head_office_admin"],
)
HOLDING_FEED = permission(
    "holding:feed",
    "Load clients' holdings and exchange rates from core banking (the feed's service account)",
    "从核心系统导入客户持仓及汇率（核心系统数据接口服务账号）",
    baseline=["branch_head"],
)
