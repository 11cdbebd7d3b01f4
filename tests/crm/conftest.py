"""A branch of its own for CRM tests: a head, two customer managers, a teller, a lobby manager and IT
support, and small factories for clients made through the API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from branchdesk.crm.rules import check_character
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

CREATE = """mutation($i: CreateClientInput!) { createClient(input: $i) {
  client { id clientNumber name birthday gender phone idNumber address lifecycle owner { employeeNumber } }
  errors { code field message } } }"""


def resident_id(born: date = date(1985, 6, 15), region: str = "110105", sequence: int | None = None) -> str:
    """A fictitious mainland resident ID number with a correct GB 11643 check character."""
    seq = sequence if sequence is not None else secrets.randbelow(1000)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def mobile() -> str:
    return "139" + f"{secrets.randbelow(10**8):08d}"


@dataclass
class CrmBranch:
    branch: Any
    code: str
    head: str
    cm1: str
    cm2: str
    teller: str
    lobby: str
    it: str


@pytest.fixture(scope="module")
async def crm_branch(rt, world) -> CrmBranch:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    return CrmBranch(
        branch=branch,
        code=branch.code,
        head=head,
        cm1=await add_member(rt, branch, ["customer_manager"]),
        cm2=await add_member(rt, branch, ["customer_manager"]),
        teller=await add_member(rt, branch, ["teller"]),
        lobby=await add_member(rt, branch, ["lobby_manager"]),
        it=await add_member(rt, branch, ["it_support"]),
    )


@pytest.fixture
def as_staff(api, crm_branch):
    """``await as_staff(employee_number)`` → a function that posts GraphQL as them in the CRM branch."""

    async def sign_in(employee_number: str, branch: str | None = None):
        token = await api.token(employee_number)
        return lambda query, variables=None: api.post(query, variables, token=token, branch=branch or crm_branch.code)

    return sign_in


def client_input(**fields: Any) -> dict[str, Any]:
    number = fields.pop("clientNumber", None) or f"C{secrets.token_hex(5).upper()}"
    return {"clientNumber": number, "name": fields.pop("name", "张伟"), **fields}


async def create(post, **fields: Any) -> dict[str, Any]:
    body = await post(CREATE, {"i": client_input(**fields)})
    payload = body["data"]["createClient"]
    assert payload["errors"] == [], payload
    return payload["client"]
