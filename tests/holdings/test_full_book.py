"""Core banking's daily snapshot (``crm import holdings --full``): the file is the branch's whole book, so
its holdings the file no longer names are closed and their clients' AUM recomputed; loading it again
closes nothing more; a dry run counts without writing; and a full book is never loaded with rows skipped
(a skipped row would close its holding)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from branchdesk.platform.errors import DomainError
from tests.holdings.conftest import aum, new_client
from tests.holdings.test_import import HEADER, run

pytestmark = pytest.mark.external

AS_OF = date(2026, 11, 27)


async def statuses(rt, branch, number: str) -> dict[str, str]:
    async with rt.db.platform_session() as session:
        rows = await session.execute(
            text("select reference, status from holdings where tenant_id = :t and reference like :p"),
            {"t": branch.id, "p": number + "%"},
        )
        return dict(rows.all())


async def test_a_full_book_closes_the_holdings_it_no_longer_names(rt, crm_branch, products):
    # given a client holding three products, loaded from an ordinary file
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    lines = [
        f"{number}-1,{number},{products.deposit},1000,,,,\n",
        f"{number}-2,{number},{products.time_deposit},500,,,,\n",
        f"{number}-3,{number},{products.deposit},200,,,,\n",
    ]
    assert (await run(rt, branch, HEADER + "".join(lines))).inserted == 3
    assert (await aum(rt, client_id))[0] == Decimal("1700.00")

    # when the next day's full book names only the first two (the first with a new balance), as a dry run
    book = HEADER + lines[0].replace(",1000,", ",1200,") + lines[1]
    dry = await run(rt, branch, book, full=True, dry_run=True)
    # then it counts the closing and writes nothing
    assert (dry.updated, dry.closed, dry.loaded) == (1, 1, False)
    assert (await statuses(rt, branch, number))[f"{number}-3"] == "active"

    # and loaded for real, the third is closed and the client's AUM no longer counts it
    loaded = await run(rt, branch, book, full=True)
    assert (loaded.updated, loaded.unchanged, loaded.closed, loaded.clients, loaded.loaded) == (1, 1, 1, 1, True)
    assert await statuses(rt, branch, number) == {
        f"{number}-1": "active",
        f"{number}-2": "active",
        f"{number}-3": "closed",
    }
    assert (await aum(rt, client_id))[0] == Decimal("1700.00")

    # and the same book again changes nothing
    again = await run(rt, branch, book, full=True)
    assert (again.inserted, again.updated, again.closed, again.clients) == (0, 0, 0, 0)

    # and a full book with invalid rows skipped is refused before anything is read
    with pytest.raises(DomainError) as refused:
        await run(rt, branch, book, full=True, skip_invalid=True)
    assert (refused.value.code, refused.value.field) == ("HOLDINGS_FULL_BOOK_WHOLE", "skipInvalid")
