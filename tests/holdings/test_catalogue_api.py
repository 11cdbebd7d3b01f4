"""The product catalogue through GraphQL: head office defines and changes products, everyone reads them
(filtered, sorted, paged both ways), and bad input comes back as typed errors naming the field."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import extensions_of

pytestmark = pytest.mark.external

PRODUCT = "code nameZh nameEn name category categoryLabel riskGrade currency active"
DEFINE = f"""mutation($i: DefineProductInput!) {{ defineProduct(input: $i) {{
  product {{ {PRODUCT} }} errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($i: UpdateProductInput!) {{ updateProduct(input: $i) {{
  product {{ {PRODUCT} }} errors {{ code field }} }} }}"""
ONE = f"""query($code: String!) {{ product(code: $code) {{ {PRODUCT} }} }}"""
LIST = """query($filter: ProductFilter, $order: ProductOrder,
  $first: Int, $after: String, $last: Int, $before: String) {
  products(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { code riskGrade } } pageInfo { hasNextPage hasPreviousPage } } }"""


def product_input(code: str, **fields) -> dict:
    return {
        "code": code,
        "nameZh": "三年期定期存款",
        "nameEn": "3-year time deposit",
        "category": "TIME_DEPOSIT",
        "riskGrade": "R1",
    } | fields


@pytest.fixture
async def head_office(as_staff, world):
    return await as_staff(world.ho_admin, world.head_office.code)


async def test_head_office_defines_a_product_and_everyone_reads_it(head_office, as_staff, crm_branch):
    # when head office defines a product (a lower-case code is taken in capitals)
    code = f"td-{secrets.token_hex(3)}"
    body = await head_office(DEFINE, {"i": product_input(code)})

    # then it is in the catalogue, with its labels in the language asked for
    made = body["data"]["defineProduct"]
    assert made["errors"] == []
    assert made["product"] == {
        "code": code.upper(),
        "nameZh": "三年期定期存款",
        "nameEn": "3-year time deposit",
        "name": "3-year time deposit",
        "category": "TIME_DEPOSIT",
        "categoryLabel": "Time deposit",
        "riskGrade": "R1",
        "currency": "CNY",
        "active": True,
    }
    # and a teller of a branch reads it by code
    teller = await as_staff(crm_branch.teller)
    assert (await teller(ONE, {"code": code.upper()}))["data"]["product"]["code"] == code.upper()


async def test_head_office_updates_only_the_fields_given(head_office):
    # given a product
    code = f"WM-{secrets.token_hex(3).upper()}"
    await head_office(DEFINE, {"i": product_input(code, category="WEALTH_MANAGEMENT", riskGrade="R2")})

    # when head office retires it and raises its risk grade
    body = await head_office(UPDATE, {"i": {"code": code, "riskGrade": "R3", "active": False}})

    # then those changed and nothing else
    updated = body["data"]["updateProduct"]
    assert updated["errors"] == []
    assert (updated["product"]["riskGrade"], updated["product"]["active"]) == ("R3", False)
    assert (updated["product"]["category"], updated["product"]["nameZh"]) == ("WEALTH_MANAGEMENT", "三年期定期存款")


async def test_only_head_office_defines_or_changes_products(as_staff, crm_branch, head_office):
    code = f"X-{secrets.token_hex(3).upper()}"
    head = await as_staff(crm_branch.head)
    body = await head(DEFINE, {"i": product_input(code)})
    assert extensions_of(body["errors"][0])["code"] == "FORBIDDEN"
    await head_office(DEFINE, {"i": product_input(code)})
    body = await head(UPDATE, {"i": {"code": code, "active": False}})
    assert extensions_of(body["errors"][0])["code"] == "FORBIDDEN"
    assert (await head(ONE, {"code": code}))["data"]["product"]["active"] is True


async def test_bad_products_are_refused_with_typed_errors(head_office):
    # a malformed code and an empty name, both at once; a currency that is no ISO code
    body = await head_office(DEFINE, {"i": product_input("a b", nameEn=" ")})
    found = {(e["code"], e["field"]) for e in body["data"]["defineProduct"]["errors"]}
    assert found == {("PRODUCT_CODE_FORMAT", "code"), ("PRODUCT_NAME", "nameEn")}
    body = await head_office(DEFINE, {"i": product_input(f"C-{secrets.token_hex(3).upper()}", currency="1$")})
    assert [(e["code"], e["field"]) for e in body["data"]["defineProduct"]["errors"]] == [
        ("CURRENCY_FORMAT", "currency")
    ]
    # a code already taken
    code = f"T-{secrets.token_hex(3).upper()}"
    await head_office(DEFINE, {"i": product_input(code)})
    body = await head_office(DEFINE, {"i": product_input(code)})
    assert [(e["code"], e["field"]) for e in body["data"]["defineProduct"]["errors"]] == [
        ("PRODUCT_CODE_TAKEN", "code")
    ]
    # a product that does not exist
    body = await head_office(UPDATE, {"i": {"code": "NO-SUCH-PRODUCT", "active": False}})
    assert body["data"]["updateProduct"] == {"product": None, "errors": [{"code": "UNKNOWN_PRODUCT", "field": "code"}]}


async def test_products_filter_sort_and_page_from_either_end(head_office, as_staff, crm_branch):
    # given five funds of this test's own prefix, risk grades R1 to R5, one of them retired
    prefix = f"F{secrets.token_hex(3).upper()}-"
    for grade in range(1, 6):
        fields = {"category": "FUND", "riskGrade": f"R{grade}", "active": grade != 3}
        await head_office(DEFINE, {"i": product_input(f"{prefix}{grade}", **fields)})
    cm = await as_staff(crm_branch.cm1)
    wanted = {"codePrefix": prefix.lower(), "category": "FUND", "active": True}

    # when a customer manager reads them two at a time, forward and backward, by code descending
    order = {"field": "CODE", "direction": "DESC"}
    forward, after = [], None
    while True:
        page = (await cm(LIST, {"filter": wanted, "order": order, "first": 2, "after": after}))["data"]["products"]
        forward += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    backward, before = [], None
    while True:
        page = (await cm(LIST, {"filter": wanted, "order": order, "last": 2, "before": before}))["data"]["products"]
        backward = [e["node"]["code"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["edges"][0]["cursor"]

    # then both ways give the active ones, highest code first, and the count agrees
    assert forward == backward == [f"{prefix}{g}" for g in (5, 4, 2, 1)]
    assert page["totalCount"] == 4
