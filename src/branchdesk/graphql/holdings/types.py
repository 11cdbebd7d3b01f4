"""GraphQL types of products and holdings: a product of the catalogue, a client's holding, money."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.inputs import text
from branchdesk.graphql.labels import graphql_enum, label
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.holdings import rules
from branchdesk.holdings.catalogue import ProductEntry
from branchdesk.holdings.service import HoldingEntry

if TYPE_CHECKING:
    from branchdesk.graphql.crm.types import Client

ProductCategory = graphql_enum(rules.ProductCategory, "ProductCategory", "The kind of product (产品类别).")
ProductRiskGrade = graphql_enum(
    rules.ProductRiskGrade, "ProductRiskGrade", "A product's risk grade under the suitability rules, R1 to R5."
)
HoldingStatus = graphql_enum(rules.HoldingStatus, "HoldingStatus", "Where a holding stands in core banking.")


def decimal_text(value: Decimal) -> str:
    """An exact amount as text, never in exponent form (``1E+3``)."""
    return format(value, "f")


@strawberry.type(description="An amount of money: an exact decimal amount (as a string) and its currency.")
class Money:
    amount: str = strawberry.field(
        description="The amount as an exact decimal string, e.g. `18794.76` (never a float: parse it as a decimal)."
    )
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. `CNY`.")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> Money:
        return cls(amount=decimal_text(amount), currency=currency)


@strawberry.type(name="Product", description="A product of the head-office catalogue (产品目录).")
class Product:
    code: str = strawberry.field(description="The product code core banking and the feed name it by; never changes.")
    name_zh: str = strawberry.field(description="The name in Chinese.")
    name_en: str = strawberry.field(description="The name in English.")
    category: ProductCategory = strawberry.field(description="Deposit, time deposit, wealth management…")  # type: ignore[valid-type]
    risk_grade: ProductRiskGrade = strawberry.field(description="Risk grade, R1 (lowest) to R5.")  # type: ignore[valid-type]
    currency: str = strawberry.field(description="The product's currency (ISO 4217), CNY unless said otherwise.")
    active: bool = strawberry.field(description="Still offered; an inactive product's holdings stay valid.")
    created_at: datetime = strawberry.field(description="When head office defined it.")
    updated_at: datetime | None = strawberry.field(description="When head office last changed it.")

    @classmethod
    def of(cls, found: ProductEntry) -> Product:
        return cls(
            code=found.code,
            name_zh=found.name_zh,
            name_en=found.name_en,
            category=rules.ProductCategory(found.category),
            risk_grade=rules.ProductRiskGrade(found.risk_grade),
            currency=found.currency,
            active=found.active,
            created_at=found.created_at,
            updated_at=found.updated_at,
        )

    @strawberry.field(description="The name in the language of the request (`Accept-Language`).")
    def name(self, info: Info) -> str:
        return self.name_zh if info.context.locale.startswith("zh") else self.name_en

    @strawberry.field(description="The category's label in the language of the request.")
    def category_label(self, info: Info) -> str:
        return label(rules.ProductCategory(self.category), info.context.locale)


@strawberry.type(name="ProductConnection", description="A page of the product catalogue.")
class ProductConnection(CountedConnection[Product]):  # type: ignore[type-var]  # products are global: no Node
    pass


@strawberry.enum(description="What the product catalogue is sorted by.")
class ProductOrderField(Enum):
    CODE = strawberry.enum_value("code", description="Product code.")
    CATEGORY = strawberry.enum_value("category", description="Category, then code.")
    NAME_ZH = strawberry.enum_value("name_zh", description="Chinese name, then code.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was defined, then code.")


@strawberry.input(description="How the product catalogue is sorted.")
class ProductOrder:
    field: ProductOrderField = ProductOrderField.CODE
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Which products a list shows (all given conditions hold).")
class ProductFilter:
    category: ProductCategory | None = strawberry.field(default=None, description="Only this category.")  # type: ignore[valid-type]
    active: bool | None = strawberry.field(default=None, description="Only active (true) or inactive (false) ones.")
    code_prefix: str | None = text("Codes starting with this.", max_length=40, default=None)


@strawberry.type(
    name="Holding", description="One account or contract a client holds, as core banking last reported it."
)
class Holding(LoadedNode):
    node_loader = "holding"
    id: relay.NodeID[str]
    reference: str = strawberry.field(description="The core-banking account or contract number, unique in the branch.")
    product_code: str = strawberry.field(description="The product's code in the catalogue.")
    balance: Money = strawberry.field(description="The balance, in the holding's currency.")
    status: HoldingStatus = strawberry.field(description="Active, matured or closed.")  # type: ignore[valid-type]
    opened_on: date | None = strawberry.field(description="When it was opened.")
    matures_on: date | None = strawberry.field(description="When it matures (time deposits, wealth management).")
    moved_at: datetime = strawberry.field(description="When the feed last saw its balance or status change.")
    client_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, found: HoldingEntry) -> Holding:
        return cls(
            id=str(found.id),
            reference=found.reference,
            product_code=found.product_code,
            balance=Money.of(found.balance, found.currency),
            status=rules.HoldingStatus(found.status),
            opened_on=found.opened_on,
            matures_on=found.matures_on,
            moved_at=found.moved_at,
            client_id=found.client_id,
        )

    @strawberry.field(description="The product held; null if it left the catalogue.")
    async def product(self, info: Info) -> Product | None:
        found: Product | None = await info.context.loaders.product.load(self.product_code)
        return found

    @strawberry.field(description="The client who holds it (null if they left your data scope).")
    async def client(self, info: Info) -> Annotated[Client, strawberry.lazy("branchdesk.graphql.crm.types")] | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found


@strawberry.type(name="HoldingConnection", description="A page of holdings.")
class HoldingConnection(CountedConnection[Holding]):
    pass


@strawberry.enum(description="What a client's holdings are sorted by.")
class HoldingOrderField(Enum):
    REFERENCE = strawberry.enum_value("reference", description="Account or contract number.")
    BALANCE = strawberry.enum_value("balance", description="Balance in its own currency; ties by id.")


@strawberry.input(description="How a client's holdings are sorted.")
class HoldingOrder:
    field: HoldingOrderField = HoldingOrderField.REFERENCE
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="What the maturing holdings are sorted by.")
class MaturingHoldingOrderField(Enum):
    MATURES_ON = strawberry.enum_value("matures_on", description="Maturity date, soonest first when ascending.")
    BALANCE = strawberry.enum_value("balance", description="Balance in its own currency; ties by id.")


@strawberry.input(description="How the maturing holdings are sorted.")
class MaturingHoldingOrder:
    field: MaturingHoldingOrderField = MaturingHoldingOrderField.MATURES_ON
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(description="A rate of a currency to CNY, as the core-banking feed supplied it.")
class ExchangeRate:
    currency: str = strawberry.field(description="ISO 4217 currency code.")
    rate: str = strawberry.field(description="CNY per unit of the currency, an exact decimal string.")
