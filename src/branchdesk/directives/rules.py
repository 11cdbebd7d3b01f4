"""Labels of directives' closed sets (en, zh-CN), read by the API."""

from __future__ import annotations

from enum import Enum

from branchdesk.directives.models import DirectiveCategory, DirectiveTarget

LABELS: dict[type[Enum], dict[str, tuple[str, str]]] = {
    DirectiveCategory: {
        "policy": ("Policy", "制度政策"),
        "compliance": ("Compliance", "合规要求"),
        "risk": ("Risk", "风险提示"),
        "operations": ("Operations", "运营管理"),
        "product": ("Product", "产品业务"),
        "service": ("Service", "服务规范"),
    },
    DirectiveTarget: {
        "all": ("Every branch", "全部网点"),
        "level": ("Every branch of a level", "某一层级的全部机构"),
        "region": ("A branch and every branch under it", "某机构及其下辖机构"),
        "list": ("The branches listed", "指定机构"),
    },
}
