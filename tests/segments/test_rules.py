"""Checking a segment's rule: every condition and operator is read into typed nodes; a wrong tree is
refused with every problem's path in the tree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from branchdesk.platform.errors import InvalidInput
from branchdesk.segments import rules

WORDS = rules.Vocabulary(tiers=("standard", "gold", "platinum", "private_banking"))
WITH_PRODUCTS = rules.Vocabulary(tiers=WORDS.tiers, products=frozenset({"TD3M", "FUND01"}))


def refusals(rule, vocabulary=WORDS):
    with pytest.raises(InvalidInput) as refused:
        rules.check_rule(rule, vocabulary)
    return sorted((e.field, e.code) for e in refused.value.errors)


def test_every_condition_and_operator_is_read():
    rule = {
        "and": [
            {"tier": {"in": ["gold", "platinum"]}},
            {"tier": {"atLeast": "platinum"}},
            {"aum": {"min": 1000, "max": "5000.50"}},
            {"age": {"min": 30}},
            {"birthdayWithinDays": 7},
            {"lastContactOlderThanDays": 90},
            {"lifecycle": ["dormant", "lost"]},
            {"tag": "代发工资"},
            {"riskGrade": ["C4", "C5"]},
            {"consent": "sms"},
            {"or": [{"not": {"tag": "VIP"}}, {"productHeld": {"product": "TD3M", "held": False}}]},
            {"maturityWithinDays": {"days": 7, "product": "TD3M"}},
        ]
    }
    checked = rules.check_rule(rule, WITH_PRODUCTS)
    assert checked == rules.AllOf(
        (
            rules.TierIn(("gold", "platinum")),
            rules.TierAtLeast("platinum"),
            rules.AumRange(Decimal(1000), Decimal("5000.50")),
            rules.AgeRange(30, None),
            rules.BirthdayWithin(7),
            rules.LastContactOlderThan(90),
            rules.LifecycleIn(("dormant", "lost")),
            rules.HasTag("代发工资"),
            rules.RiskGradeIn(("C4", "C5")),
            rules.Consents("sms"),
            rules.AnyOf((rules.Not(rules.HasTag("VIP")), rules.ProductHeld("TD3M", False))),
            rules.MaturityWithin(7, "TD3M"),
        )
    )
    assert rules.uses_holdings(checked)
    assert not rules.uses_holdings(rules.check_rule({"tag": "VIP"}, WORDS))


def test_a_mistake_deep_in_the_tree_names_its_path():
    rule = {"and": [{"tag": "VIP"}, {"not": {"aum": {"min": -5}}}]}
    assert refusals(rule) == [("rule.and[1].not.aum.min", "SEGMENT_RULE_RANGE")]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"colour": "red"}, [("rule.colour", "SEGMENT_RULE_UNKNOWN_FIELD")]),
        ({"aum": {"min": 1, "currency": "USD"}}, [("rule.aum.currency", "SEGMENT_RULE_UNKNOWN_FIELD")]),
        ({"aum": {"min": "lots"}}, [("rule.aum.min", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"aum": {"min": 10, "max": 5}}, [("rule.aum.min", "SEGMENT_RULE_RANGE")]),
        ({"aum": {}}, [("rule.aum", "SEGMENT_RULE_RANGE")]),
        ({"age": {"min": 30.5}}, [("rule.age.min", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"birthdayWithinDays": 400}, [("rule.birthdayWithinDays", "SEGMENT_RULE_DAYS")]),
        ({"birthdayWithinDays": True}, [("rule.birthdayWithinDays", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"lastContactOlderThanDays": -1}, [("rule.lastContactOlderThanDays", "SEGMENT_RULE_DAYS")]),
        ({"tier": {"in": ["diamond"]}}, [("rule.tier.in[0]", "SEGMENT_RULE_UNKNOWN_VALUE")]),
        ({"tier": {"in": "gold"}}, [("rule.tier.in", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"tier": {"in": ["gold"], "atLeast": "gold"}}, [("rule.tier", "SEGMENT_RULE_ONE_CONDITION")]),
        ({"lifecycle": []}, [("rule.lifecycle", "SEGMENT_RULE_EMPTY")]),
        ({"riskGrade": ["C9"]}, [("rule.riskGrade[0]", "SEGMENT_RULE_UNKNOWN_VALUE")]),
        ({"consent": "fax"}, [("rule.consent", "SEGMENT_RULE_UNKNOWN_VALUE")]),
        ({"tag": ""}, [("rule.tag", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"and": []}, [("rule.and", "SEGMENT_RULE_EMPTY")]),
        ({"or": {"tag": "VIP"}}, [("rule.or", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"not": "VIP"}, [("rule.not", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"tag": "VIP", "consent": "sms"}, [("rule", "SEGMENT_RULE_ONE_CONDITION")]),
        ({}, [("rule", "SEGMENT_RULE_ONE_CONDITION")]),
        ([], [("rule", "SEGMENT_RULE_WRONG_TYPE")]),
        ({"productHeld": {"product": "TD3M"}}, [("rule.productHeld.product", "SEGMENT_RULE_UNKNOWN_VALUE")]),
    ],
)
def test_wrong_trees_are_refused_with_their_path(rule, expected):
    assert refusals(rule) == expected


def test_every_problem_is_reported_at_once():
    rule = {"or": [{"aum": {"min": "x"}}, {"and": [{"tier": {"atLeast": "diamond"}}, {"shoeSize": 42}]}]}
    assert refusals(rule) == [
        ("rule.or[0].aum.min", "SEGMENT_RULE_WRONG_TYPE"),
        ("rule.or[1].and[0].tier.atLeast", "SEGMENT_RULE_UNKNOWN_VALUE"),
        ("rule.or[1].and[1].shoeSize", "SEGMENT_RULE_UNKNOWN_FIELD"),
    ]


def test_products_must_be_in_the_catalogue():
    assert refusals({"productHeld": {"product": "NOPE"}}, WITH_PRODUCTS) == [
        ("rule.productHeld.product", "SEGMENT_RULE_UNKNOWN_VALUE")
    ]
    assert rules.named_products({"or": [{"productHeld": {"product": "TD3M"}}, {"not": {"tag": "x"}}]}) == ["TD3M"]
    assert refusals({"maturityWithinDays": {"days": "soon"}}, WITH_PRODUCTS) == [
        ("rule.maturityWithinDays.days", "SEGMENT_RULE_WRONG_TYPE")
    ]


def test_a_huge_or_deep_tree_is_refused():
    deep: dict = {"tag": "VIP"}
    for _ in range(rules.MAX_DEPTH + 1):
        deep = {"not": deep}
    assert [code for _, code in refusals(deep)] == ["SEGMENT_RULE_TOO_LARGE"]
    wide = {"or": [{"tag": f"t{i}"} for i in range(rules.MAX_NODES + 1)]}
    assert [code for _, code in refusals(wide)] == ["SEGMENT_RULE_TOO_LARGE"]
