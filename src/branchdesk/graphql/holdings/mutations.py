from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.holdings.types import ExchangeRate, Product, ProductCategory, ProductRiskGrade, decimal_text
from branchdesk.graphql.inputs import text
from branchdesk.holdings import catalogue, feed, rules
from branchdesk.platform.errors import invalid

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new product of the head-office catalogue.")
class DefineProductInput:
    code: str = text("The product code core banking uses, e.g. TD3Y: 2 to 40 of A-Z 0-9 . _ -.", max_length=40)
    name_zh: str = text("The name in Chinese, e.g. 三年期定期存款.", max_length=100)
    name_en: str = text("The name in English, e.g. 3-year time deposit.", max_length=100)
    category: ProductCategory = strawberry.field(description="Deposit, time deposit, wealth management…")
    risk_grade: ProductRiskGrade = strawberry.field(description="Risk grade, R1 to R5.")
    currency: str = text("ISO 4217 currency code.", max_length=3, default="CNY")
    active: bool = strawberry.field(default=True, description="Offered now.")


@strawberry.input(description="Changes to a product: only the fields given change; its code never does.")
class UpdateProductInput:
    code: str = text("The product to change.", max_length=40)
    name_zh: str | None = text("The name in Chinese.", max_length=100, default=UNSET)
    name_en: str | None = text("The name in English.", max_length=100, default=UNSET)
    category: ProductCategory | None = strawberry.field(default=UNSET, description="The category.")
    risk_grade: ProductRiskGrade | None = strawberry.field(default=UNSET, description="The risk grade.")
    currency: str | None = text("ISO 4217 currency code.", max_length=3, default=UNSET)
    active: bool | None = strawberry.field(default=UNSET, description="Still offered (false retires it).")


@strawberry.input(description="One currency's rate to CNY.")
class ExchangeRateInput:
    currency: str = text("ISO 4217 currency code, e.g. USD (not CNY: its rate is 1).", max_length=3)
    rate: str = text("CNY per unit of the currency, an exact decimal such as `7.1234`.", max_length=30)


@strawberry.input(description="The feed's rates to CNY for one business date.")
class RecordExchangeRatesInput:
    as_of: date = strawberry.field(description="The business date the rates are for.")
    rates: list[ExchangeRateInput] = strawberry.field(
        description="The rates; a currency recorded that day is replaced."
    )


@payload
class ProductPayload:
    product: Product | None = strawberry.field(default=None, description="The product after the change.")


@payload
class RecordExchangeRatesPayload:
    as_of: date | None = strawberry.field(default=None, description="The business date the rates are for.")
    exchange_rates: list[ExchangeRate] | None = strawberry.field(
        default=None, description="Every rate of the branch in force on that date (the latest on or before it)."
    )


_FIELDS = ("name_zh", "name_en", "category", "risk_grade", "currency", "active")


def _update_draft(input: UpdateProductInput) -> catalogue.ProductDraft:
    draft, given = catalogue.ProductDraft(code=input.code), set()
    for name in _FIELDS:
        value = getattr(input, name)
        if value is UNSET or value is None:  # null keeps the value: every field of a product is required
            continue
        if name == "category":
            value = rules.ProductCategory(value.value if hasattr(value, "value") else value)
        if name == "risk_grade":
            value = rules.ProductRiskGrade(value.value if hasattr(value, "value") else value)
        setattr(draft, name, value)
        given.add(name)
    draft.given = frozenset(given)
    return draft


@strawberry.type
class Mutations:
    @p.mutation("product:manage", "Add a product to the head-office catalogue (head office).")
    async def define_product(self, info: Info, input: DefineProductInput) -> ProductPayload:
        draft = catalogue.ProductDraft(
            code=input.code,
            name_zh=input.name_zh,
            name_en=input.name_en,
            category=rules.ProductCategory(
                input.category.value if hasattr(input.category, "value") else input.category
            ),
            risk_grade=rules.ProductRiskGrade(
                input.risk_grade.value if hasattr(input.risk_grade, "value") else input.risk_grade
            ),
            currency=input.currency,
            active=input.active,
        )

        async def define(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"product": Product.of(await catalogue.define_product(session, by, draft))}

        return await mutate(info, ProductPayload, define)

    @p.mutation("product:manage", "Change a product's names, category, risk grade, currency or active flag.")
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload:
        draft = _update_draft(input)

        async def update(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"product": Product.of(await catalogue.update_product(session, by, input.code, draft))}

        return await mutate(info, ProductPayload, update)

    @p.mutation(
        "holding:feed",
        "Record the core-banking feed's exchange rates to CNY for a business date (the feed's service account). "
        "Holdings in a currency are fed only once it has a rate on or before the feed's date.",
    )
    async def record_exchange_rates(self, info: Info, input: RecordExchangeRatesInput) -> RecordExchangeRatesPayload:
        given = {entry.currency.strip().upper(): entry.rate for entry in input.rates}

        async def record(session: AsyncSession, by: Principal) -> dict[str, object]:
            if len(given) != len(input.rates):
                raise invalid("rates", "Give each currency once.", "每个币种只能填写一次。")
            await feed.record_rates(session, by, input.as_of, given)
            in_force: dict[str, Decimal] = await feed.rates_on(session, by, input.as_of)
            rates = [ExchangeRate(currency=c, rate=decimal_text(r)) for c, r in sorted(in_force.items())]
            return {"as_of": input.as_of, "exchange_rates": rates}

        return await mutate(info, RecordExchangeRatesPayload, record)
