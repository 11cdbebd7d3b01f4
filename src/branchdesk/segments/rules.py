"""A segment's rule: a tree of conditions (and / or / not over client fields) in its JSON form, checked
into typed nodes. Pure: no database. Every problem names its path in the tree (``rule.and[1].not.aum.min``)
and all of them are reported together; the repository compiles the checked nodes to SQLAlchemy.

The JSON form is what the API's input types give and what a segment stores::

    {"and": [{"tier": {"atLeast": "platinum"}}, {"not": {"lifecycle": ["dormant", "lost"]}}]}
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from branchdesk.crm.rules import ContactChannel, LifecycleStage, RiskGrade
from branchdesk.platform.errors import DomainError, InvalidInput
from branchdesk.segments import errors

MAX_NODES, MAX_DEPTH = 50, 8
MAX_DAYS = 3660  # ten years: "last contact older than" reaches that far
MAX_BIRTHDAY_DAYS = 366


class ChangeKind(enum.StrEnum):
    TIER = "tier"
    LIFECYCLE = "lifecycle"


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    ChangeKind: {"tier": ("Value tier", "客户等级"), "lifecycle": ("Lifecycle stage", "生命周期阶段")},
}


# --- the checked tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    rule: Rule


@dataclass(frozen=True)
class TierIn:
    tiers: tuple[str, ...]


@dataclass(frozen=True)
class TierAtLeast:
    tier: str


@dataclass(frozen=True)
class AumRange:
    min: Decimal | None
    max: Decimal | None


@dataclass(frozen=True)
class AgeRange:
    min: int | None
    max: int | None


@dataclass(frozen=True)
class BirthdayWithin:
    days: int


@dataclass(frozen=True)
class ProductHeld:
    product: str
    held: bool


@dataclass(frozen=True)
class MaturityWithin:
    days: int
    product: str | None


@dataclass(frozen=True)
class LastContactOlderThan:
    days: int


@dataclass(frozen=True)
class LifecycleIn:
    stages: tuple[str, ...]


@dataclass(frozen=True)
class HasTag:
    tag: str


@dataclass(frozen=True)
class RiskGradeIn:
    grades: tuple[str, ...]


@dataclass(frozen=True)
class Consents:
    channel: str


Rule = (
    AllOf | AnyOf | Not | TierIn | TierAtLeast | AumRange | AgeRange | BirthdayWithin | ProductHeld | MaturityWithin
    | LastContactOlderThan | LifecycleIn | HasTag | RiskGradeIn | Consents
)  # fmt: skip

# Conditions that read a client's holdings.
HOLDING_CONDITIONS = frozenset({"productHeld", "maturityWithinDays"})


@dataclass(frozen=True)
class Vocabulary:
    """What values a rule may name: the tier codes by rank (lowest first), the known product codes."""

    tiers: tuple[str, ...]
    products: frozenset[str] = frozenset()  # the catalogue's codes the rule names (see :func:`named_products`)


# --- checking ------------------------------------------------------------------------------------

_TYPE_ZH = {
    "an object": "对象",
    "a list": "列表",
    "a whole number": "整数",
    "an amount": "金额",
    "true or false": "布尔值",
    "a text": "文本",
}


class _Checker:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.problems: list[DomainError] = []
        self.nodes = 0

    def fail(self, path: str, error: Any, **params: Any) -> None:
        self.problems.append(DomainError(error, field=path, **params))

    def wrong(self, path: str, expected: str) -> None:
        self.fail(path, errors.RULE_WRONG_TYPE, expected=expected, expected_zh=_TYPE_ZH[expected])

    def object(self, value: Any, path: str, allowed: Collection[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.wrong(path, "an object")
            return None
        for name in value:
            if name not in allowed:
                self.fail(f"{path}.{name}", errors.RULE_UNKNOWN_FIELD, name=str(name)[:60])
        return value

    def integer(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong(path, "a whole number")
            return None
        return value

    def days(self, value: Any, path: str, limit: int = MAX_DAYS) -> int | None:
        days = self.integer(value, path)
        if days is not None and not 0 <= days <= limit:
            self.fail(path, errors.RULE_DAYS, limit=limit)
            return None
        return days

    def text(self, value: Any, path: str, max_length: int = 40) -> str | None:
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            self.wrong(path, "a text")
            return None
        return value.strip()

    def choices(self, value: Any, path: str, allowed: Collection[str]) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.wrong(path, "a list")
            return None
        if not value:
            self.fail(path, errors.RULE_EMPTY)
            return None
        found: list[str] = []
        for index, item in enumerate(value):
            chosen = self.choice(item, f"{path}[{index}]", allowed)
            if chosen is not None and chosen not in found:
                found.append(chosen)
        return tuple(found) if len(found) == len({str(v) for v in value}) else None

    def choice(self, value: Any, path: str, allowed: Collection[str]) -> str | None:
        if not isinstance(value, str):
            self.wrong(path, "a text")
            return None
        if value not in allowed:
            self.fail(path, errors.RULE_UNKNOWN_VALUE, value=value[:40], allowed=", ".join(allowed))
            return None
        return value

    def range(self, value: Any, path: str, read: Callable[[Any, str], Any]) -> tuple[Any, Any] | None:
        given = self.object(value, path, ("min", "max"))
        if given is None:
            return None
        low = read(given["min"], f"{path}.min") if given.get("min") is not None else None
        high = read(given["max"], f"{path}.max") if given.get("max") is not None else None
        if low is None and high is None:
            if given.get("min") is None and given.get("max") is None:
                self.fail(path, errors.RULE_RANGE)
            return None
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and bound < 0:
                self.fail(f"{path}.{name}", errors.RULE_RANGE)
                return None
        if low is not None and high is not None and low > high:
            self.fail(f"{path}.min", errors.RULE_RANGE)
            return None
        return low, high

    def amount(self, value: Any, path: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.wrong(path, "an amount")
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            self.wrong(path, "an amount")
            return None
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 18:
            self.wrong(path, "an amount")
            return None
        return amount

    def rule(self, value: Any, path: str, depth: int) -> Rule | None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            if not any(p.code == errors.RULE_TOO_LARGE.code for p in self.problems):
                self.fail(path, errors.RULE_TOO_LARGE, nodes=MAX_NODES, depth=MAX_DEPTH)
            return None
        given = self.object(value, path, CONDITIONS)
        if given is None:
            return None
        named = [name for name in given if name in CONDITIONS]
        if len(named) != 1:
            if len(given) == len(named):  # unknown names were reported already
                self.fail(path, errors.RULE_ONE_CONDITION)
            return None
        name = named[0]
        return CONDITIONS[name](self, given[name], f"{path}.{name}", depth)


def _combined(kind: type[AllOf] | type[AnyOf]) -> Callable[[_Checker, Any, str, int], Rule | None]:
    def read(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
        if not isinstance(value, list):
            checker.wrong(path, "a list")
            return None
        if not value:
            checker.fail(path, errors.RULE_EMPTY)
            return None
        rules = [checker.rule(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
        return kind(tuple(r for r in rules if r is not None)) if all(r is not None for r in rules) else None

    return read


def _not(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    inner = checker.rule(value, path, depth + 1)
    return Not(inner) if inner is not None else None


def _tier(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    given = checker.object(value, path, ("in", "atLeast"))
    if given is None:
        return None
    tiers = checker.vocabulary.tiers
    if len([k for k in ("in", "atLeast") if k in given]) != 1:
        checker.fail(path, errors.RULE_ONE_CONDITION)
        return None
    if "in" in given:
        chosen = checker.choices(given["in"], f"{path}.in", tiers)
        return TierIn(chosen) if chosen else None
    lowest = checker.choice(given["atLeast"], f"{path}.atLeast", tiers)
    return TierAtLeast(lowest) if lowest else None


def _aum(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    found = checker.range(value, path, checker.amount)
    return AumRange(*found) if found else None


def _age(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    found = checker.range(value, path, checker.integer)
    return AgeRange(*found) if found else None


def _birthday(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    days = checker.days(value, path, MAX_BIRTHDAY_DAYS)
    return BirthdayWithin(days) if days is not None else None


def _product(checker: _Checker, value: Any, path: str) -> str | None:
    code = checker.text(value, path)
    if code is None:
        return None
    if code not in checker.vocabulary.products:
        checker.fail(path, errors.RULE_UNKNOWN_VALUE, value=code, allowed="the product catalogue's codes")
        return None
    return code


def _product_held(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    given = checker.object(value, path, ("product", "held"))
    if given is None:
        return None
    if "product" not in given:
        checker.wrong(f"{path}.product", "a text")
        return None
    code = _product(checker, given["product"], f"{path}.product")
    held = given.get("held", True)
    if not isinstance(held, bool):
        checker.wrong(f"{path}.held", "true or false")
        return None
    return ProductHeld(code, held) if code else None


def _maturity(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    given = checker.object(value, path, ("days", "product"))
    if given is None:
        return None
    days = checker.days(given.get("days"), f"{path}.days", MAX_BIRTHDAY_DAYS)
    code = _product(checker, given["product"], f"{path}.product") if given.get("product") is not None else None
    if days is None or (given.get("product") is not None and code is None):
        return None
    return MaturityWithin(days, code)


def _last_contact(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    days = checker.days(value, path)
    return LastContactOlderThan(days) if days is not None else None


def _lifecycle(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    chosen = checker.choices(value, path, [s.value for s in LifecycleStage])
    return LifecycleIn(chosen) if chosen else None


def _tag(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    tag = checker.text(value, path)
    return HasTag(tag) if tag else None


def _risk(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    chosen = checker.choices(value, path, [g.value for g in RiskGrade])
    return RiskGradeIn(chosen) if chosen else None


def _consent(checker: _Checker, value: Any, path: str, depth: int) -> Rule | None:
    channel = checker.choice(value, path, [c.value for c in ContactChannel])
    return Consents(channel) if channel else None


CONDITIONS: dict[str, Callable[[_Checker, Any, str, int], Rule | None]] = {
    "and": _combined(AllOf),
    "or": _combined(AnyOf),
    "not": _not,
    "tier": _tier,
    "aum": _aum,
    "age": _age,
    "birthdayWithinDays": _birthday,
    "productHeld": _product_held,
    "maturityWithinDays": _maturity,
    "lastContactOlderThanDays": _last_contact,
    "lifecycle": _lifecycle,
    "tag": _tag,
    "riskGrade": _risk,
    "consent": _consent,
}


def check_rule(value: Any, vocabulary: Vocabulary, path: str = "rule") -> Rule:
    """The checked tree of a rule's JSON form; InvalidInput naming every problem's path otherwise."""
    checker = _Checker(vocabulary)
    found = checker.rule(value, path, 1)
    if checker.problems:
        raise InvalidInput(checker.problems)
    assert found is not None
    return found


def uses_holdings(rule: Rule) -> bool:
    match rule:
        case AllOf(rules) | AnyOf(rules):
            return any(uses_holdings(r) for r in rules)
        case Not(inner):
            return uses_holdings(inner)
        case ProductHeld() | MaturityWithin():
            return True
    return False


def named_products(value: Any) -> list[str]:
    """The product codes a rule's JSON form names (to look up in the catalogue before checking it)."""
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            found += named_products(item)
    elif isinstance(value, dict):
        for name, inner in value.items():
            if name in HOLDING_CONDITIONS and isinstance(inner, dict) and isinstance(inner.get("product"), str):
                found.append(inner["product"].strip())
            else:
                found += named_products(inner)
    return sorted(set(found))
