"""The closed vocabularies of products and holdings, and what a product code or a currency looks like."""

from __future__ import annotations

import enum
import re

BASE_CURRENCY = "CNY"
PRODUCT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,39}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217 alphabetic code


class ProductCategory(enum.StrEnum):
    DEPOSIT = "deposit"  # 活期存款
    TIME_DEPOSIT = "time_deposit"  # 定期存款
    WEALTH_MANAGEMENT = "wealth_management"  # 理财
    FUND = "fund"  # 基金
    INSURANCE = "insurance"  # 保险
    LOAN = "loan"  # 贷款
    CARD = "card"  # 银行卡
    OTHER = "other"


class ProductRiskGrade(enum.StrEnum):
    """The product's risk grade under the suitability rules, R1 (lowest) to R5 (highest)."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class HoldingStatus(enum.StrEnum):
    ACTIVE = "active"
    MATURED = "matured"
    CLOSED = "closed"


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    ProductCategory: {
        "deposit": ("Demand deposit", "活期存款"),
        "time_deposit": ("Time deposit", "定期存款"),
        "wealth_management": ("Wealth management", "理财产品"),
        "fund": ("Fund", "基金"),
        "insurance": ("Insurance", "保险"),
        "loan": ("Loan", "贷款"),
        "card": ("Card", "银行卡"),
        "other": ("Other", "其他"),
    },
    ProductRiskGrade: {
        "R1": ("R1 (low)", "R1（低风险）"),
        "R2": ("R2 (medium-low)", "R2（中低风险）"),
        "R3": ("R3 (medium)", "R3（中风险）"),
        "R4": ("R4 (medium-high)", "R4（中高风险）"),
        "R5": ("R5 (high)", "R5（高风险）"),
    },
    HoldingStatus: {
        "active": ("Active", "持有中"),
        "matured": ("Matured", "已到期"),
        "closed": ("Closed", "已结清"),
    },
}
