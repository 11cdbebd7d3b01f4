"""The head-office product catalogue: everyone reads it; head office defines products and changes them.

A product's code is what core banking and the holdings feed name it by; it never changes once defined
(retire a product by making it inactive: holdings of it stay valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.holdings import errors, repository
from branchdesk.holdings.models import Product
from branchdesk.holdings.permissions import PRODUCT_MANAGE, PRODUCT_READ
from branchdesk.holdings.rules import BASE_CURRENCY, CURRENCY, PRODUCT_CODE, ProductCategory, ProductRiskGrade
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants


@dataclass(frozen=True)
class ProductEntry:
    code: str
    name_zh: str
    name_en: str
    category: str
    risk_grade: str
    currency: str
    active: bool
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> ProductEntry:
        return cls(*row)


@dataclass
class ProductDraft:
    """A product's fields as head office gives them; on update only the fields named in ``given`` change."""

    code: str = ""
    name_zh: str = ""
    name_en: str = ""
    category: ProductCategory = ProductCategory.OTHER
    risk_grade: ProductRiskGrade = ProductRiskGrade.R1
    currency: str = BASE_CURRENCY
    active: bool = True
    given: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ProductFilters:
    category: ProductCategory | None = None
    active: bool | None = None
    code_prefix: str | None = None


PRODUCT_ORDERS: dict[str, Key] = {
    "code": Product.code,
    "category": (Product.category, Product.code),
    "name_zh": (Product.name_zh, Product.code),
    "created_at": (Product.created_at, Product.code),
}


def _checked(draft: ProductDraft, names: frozenset[str]) -> dict[str, Any]:
    """The draft's values for ``names``, or every problem with them at once."""
    problems: list[DomainError] = []
    values: dict[str, Any] = {}
    if "code" in names:
        code = draft.code.strip().upper()
        if not PRODUCT_CODE.match(code):
            problems.append(DomainError(errors.PRODUCT_CODE_FORMAT, field="code", code=draft.code))
        values["code"] = code
    for name in ("name_zh", "name_en"):
        if name in names:
            value = getattr(draft, name).strip()
            if not 1 <= len(value) <= 100:
                problems.append(DomainError(errors.PRODUCT_NAME, field="nameZh" if name == "name_zh" else "nameEn"))
            values[name] = value
    if "currency" in names:
        currency = draft.currency.strip().upper()
        if not CURRENCY.match(currency):
            problems.append(DomainError(errors.CURRENCY_FORMAT, field="currency", currency=draft.currency))
        values["currency"] = currency
    if "category" in names:
        values["category"] = ProductCategory(draft.category)
    if "risk_grade" in names:
        values["risk_grade"] = ProductRiskGrade(draft.risk_grade).value
    if "active" in names:
        values["active"] = draft.active
    if problems:
        raise InvalidInput(problems)
    return values


ALL_FIELDS = frozenset({"code", "name_zh", "name_en", "category", "risk_grade", "currency", "active"})


async def define_product(session: AsyncSession, by: Principal, draft: ProductDraft) -> ProductEntry:
    """Add a product to the catalogue (head office)."""
    by.require(PRODUCT_MANAGE)
    values = _checked(draft, ALL_FIELDS)
    now = utcnow()
    if not await repository.add_product(session, values | {"created_at": now}):
        raise DomainError(errors.PRODUCT_CODE_TAKEN, field="code", code=values["code"])
    await _record_in_head_office(session, by, "product.defined", _logged(values))
    return await _entry(session, values["code"])


async def update_product(session: AsyncSession, by: Principal, code: str, draft: ProductDraft) -> ProductEntry:
    """Change a product's names, category, risk grade, currency or active flag (head office)."""
    by.require(PRODUCT_MANAGE)
    values = _checked(draft, draft.given & (ALL_FIELDS - {"code"}))
    code = code.strip().upper()
    if not await repository.change_product(session, code, values | {"updated_at": utcnow()}):
        raise DomainError(errors.UNKNOWN_PRODUCT, field="code", code=code, where="", where_zh="")
    await _record_in_head_office(session, by, "product.updated", _logged(values) | {"code": code})
    return await _entry(session, code)


async def define_products(session: AsyncSession, by: Principal, drafts: list[ProductDraft]) -> int:
    """Add many products at once (a code already defined is left as it is); how many were new."""
    by.require(PRODUCT_MANAGE)
    now = utcnow()
    rows = [_checked(d, ALL_FIELDS) | {"created_at": now} for d in drafts]
    added = await repository.add_products(session, rows)
    await _record_in_head_office(session, by, "product.defined", {"new": added})
    return added


async def _record_in_head_office(session: AsyncSession, by: Principal, action: str, details: dict[str, Any]) -> None:
    """The catalogue is head office's: its changes go to the head office's trail (the demo acts in no branch)."""
    if by.branch is not None and by.in_head_office:
        await audit.record(session, by.branch_id, by.author, action, "product", None, details)
        return
    office = await tenants.head_office(session)
    if office is not None:
        async with across(session, by, office.id):
            await audit.record(session, office.id, by.author, action, "product", None, details)


def _logged(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, ProductCategory) else v for k, v in values.items()}


async def _entry(session: AsyncSession, code: str) -> ProductEntry:
    found = await repository.products_by_code(session, [code])
    if not found:
        raise NotFound("Product", "产品", field="code")
    return ProductEntry.of(found[0])


async def list_products(
    session: AsyncSession, by: Principal, page: PageRequest, filters: ProductFilters
) -> Page[ProductEntry]:
    by.require(PRODUCT_READ)
    return await keyset(session, _query(filters), PRODUCT_ORDERS[page.order_by or "code"], page, ProductEntry.of)


async def count_products(session: AsyncSession, by: Principal, filters: ProductFilters) -> int:
    by.require(PRODUCT_READ)
    return await count(session, _query(filters))


def _query(filters: ProductFilters) -> Any:
    prefix = filters.code_prefix.strip().upper() if filters.code_prefix else None
    return repository.products_query(filters.category.value if filters.category else None, filters.active, prefix)


async def products_by_code(session: AsyncSession, by: Principal, codes: list[str]) -> list[ProductEntry]:
    """Products by code; none without ``product:read`` (never an error)."""
    if not by.can(PRODUCT_READ):
        return []
    return [ProductEntry.of(row) for row in await repository.products_by_code(session, codes)]
