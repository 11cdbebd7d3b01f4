"""Personal data: sealed in the table (no clear text, read as the owner role that bypasses RLS), found by
exact match, masked unless the reader holds client.pii:read, every unmasked read audited, and keys rotate."""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import pii, records
from branchdesk.crm import service as crm
from branchdesk.crm.models import Client
from branchdesk.crm.rules import IdDocumentType
from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.crypto import DATA_KEYS, DataKeyRing, key_id_of
from branchdesk.platform.database import to_async_url
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import onboard, unique_code, unique_employee_number
from tests.crm.conftest import create, mobile, resident_id

pytestmark = pytest.mark.external

PROFILE = "query($id: ID!) { client(id: $id) { phone idNumber address } }"
GRANT = """mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { errors { code } } }"""


async def test_personal_data_is_not_in_the_table_in_clear_text(as_staff, crm_branch, rt, settings):
    cm1 = await as_staff(crm_branch.cm1)
    number, phone, address = resident_id(), mobile(), "上海市浦东新区世纪大道88号"
    client = await create(cm1, idType="RESIDENT_ID", idNumber=number, phone=phone, address=address)
    client_id = uuid.UUID(base64.b64decode(client["id"]).decode().split(":")[1])

    # read every column of the row straight from the table as the owner role (no application in between)
    engine = create_async_engine(to_async_url(rt.endpoints.admin_url))
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"set role {rt.endpoints.roles.owner}"))
            await conn.execute(text("select set_config('app.tenant_id', :t, false)"), {"t": str(crm_branch.branch.id)})
            row = (await conn.execute(text("select * from clients where id = :id"), {"id": client_id})).mappings().one()
    finally:
        await engine.dispose()
    raw = json.dumps({k: (v.hex() if isinstance(v, bytes) else str(v)) for k, v in row.items()}, ensure_ascii=False)
    for clear in (number, phone, address, "+86" + phone):
        assert clear not in raw
        assert clear.encode().hex() not in raw
    assert key_id_of(row["phone_sealed"]) == row["pii_key_id"] == rt.db._app_sessions.kw["info"][DATA_KEYS].current
    assert len(row["phone_hash"]) == 32 and len(row["id_number_hash"]) == 32


async def test_masked_without_client_pii_read_and_each_unmasked_read_audited(as_staff, crm_branch, rt):
    cm1, head = await as_staff(crm_branch.cm1), await as_staff(crm_branch.head)
    number, phone = resident_id(), mobile()
    client = await create(cm1, idType="RESIDENT_ID", idNumber=number, phone=phone, address="北京市朝阳区建国路1号")

    # IT support may read clients across the branch (a branch's grant) but not their personal data
    granted = await head(GRANT, {"i": {"role": "it_support", "permission": "client:read", "dataScope": "BRANCH"}})
    assert granted["data"]["grantRolePermission"]["errors"] == []
    try:
        it = await as_staff(crm_branch.it)
        masked = (await it(PROFILE, {"id": client["id"]}))["data"]["client"]
        assert masked == {
            "phone": phone[:3] + "****" + phone[-4:],
            "idNumber": number[:6] + "********" + number[-4:],
            "address": "北京市朝阳区****",
        }
    finally:
        await head(GRANT.replace("grant", "revoke"), {"i": {"role": "it_support", "permission": "client:read"}})

    async def unmasked_reads() -> int:
        async with rt.db.session(crm_branch.branch.id) as session:
            rows = await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.tenant_id == crm_branch.branch.id, AuditEvent.action == "client.pii_unmasked"
                )
            )
            return sum(1 for event in rows if _raw_id(client["id"]) in event.details["ids"])

    before = await unmasked_reads()
    shown = (await cm1(PROFILE, {"id": client["id"]}))["data"]["client"]
    assert shown["phone"] == phone and shown["idNumber"] == number
    assert await unmasked_reads() == before + 1  # one record for the request, whatever fields it showed


async def test_exact_match_search_by_phone_and_id_number(as_staff, crm_branch):
    cm1, head = await as_staff(crm_branch.cm1), await as_staff(crm_branch.head)
    number, phone = resident_id(), mobile()
    client = await create(cm1, idType="RESIDENT_ID", idNumber=number, phone=phone)
    search = "query($f: ClientFilter) { clients(filter: $f) { edges { node { id } } } }"
    for wanted in ({"phone": phone}, {"phone": f"+86 {phone[:3]}-{phone[3:]}"}, {"idNumber": number}):
        found = await head(search, {"f": wanted})
        assert [e["node"]["id"] for e in found["data"]["clients"]["edges"]] == [client["id"]], wanted
    assert (await head(search, {"f": {"phone": mobile()}}))["data"]["clients"]["edges"] == []
    teller = await as_staff(crm_branch.teller)
    cards = await teller(
        "query($p: String) { findClientRoutingCards(phone: $p) { maskedName clientId } }", {"p": phone}
    )
    # the card names the client by id, to queue or refer them, and shows nothing personal
    assert cards["data"]["findClientRoutingCards"] == [{"maskedName": "张*", "clientId": client["id"]}]
    profile = await teller("query($id: ID!) { client(id: $id) { name } }", {"id": client["id"]})
    assert profile["data"]["client"] is None


def _raw_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def _ring(current: str, **keys: bytes) -> DataKeyRing:
    return DataKeyRing.parse(
        json.dumps({"current": current, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}}),
        "tests-hash-key-of-the-deployment",
    )


async def test_rotation_reseals_under_the_new_key_and_old_values_still_read(rt, world):
    old, new = os.urandom(32), os.urandom(32)
    first = _ring("k-old", **{"k-old": old})
    both = _ring("k-new", **{"k-old": old, "k-new": new})
    second = _ring("k-new", **{"k-new": new})
    head = unique_employee_number("H")  # a branch of its own: every client in it is under these test keys
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    system = Principal.system("tests", BranchRef(branch.id, branch.code))
    number, phone = resident_id(), mobile()

    # given clients sealed under the old key
    made = []
    async with rt.db.session(branch.id) as session:
        session.info[DATA_KEYS] = first
        owner = (await tenants.staff_by_employee_number(session, head)).id
        for i in range(3):
            draft = crm.ClientDraft(
                client_number=f"R{i}",
                name="轮换",
                id_type=IdDocumentType.RESIDENT_ID,
                id_number=number,
                phone=phone,
                owner_id=owner,
            )
            made.append((await records.create_client(session, system, draft)).id)

    async def read(ring: DataKeyRing) -> crm.PersonalData:
        async with rt.db.session(branch.id) as session:
            session.info[DATA_KEYS] = ring
            return (await crm.personal_data_of(session, system, [made[0]]))[made[0]]

    # when the new key becomes current, old values still read
    assert (await read(both)).phone == phone
    # and crm rekey seals them again under it, batch by batch (a second run finds nothing left)
    progress: list[tuple[int, int]] = []
    done = await pii.rekey_branch(rt.db, branch.id, size=2, ring=both, progress=lambda d, t: progress.append((d, t)))
    assert done == 3 and progress == [(2, 3), (3, 3)]
    assert await pii.rekey_branch(rt.db, branch.id, ring=both) == 0
    async with rt.db.session(branch.id) as session:
        rows = (await session.execute(select(Client.phone_sealed, Client.pii_key_id).where(Client.id.in_(made)))).all()
    assert {(key_id_of(sealed), key) for sealed, key in rows} == {("k-new", "k-new")}
    # then a ring without the old key reads them
    opened = await read(second)
    assert (opened.phone, opened.id_number) == (phone, number)
