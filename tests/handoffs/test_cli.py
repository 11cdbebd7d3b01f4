"""`branchdesk handoffs sla-watch`: the operator runs the SLA watch now; a second run escalates nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.handoffs.conftest import overdue, raise_

pytestmark = pytest.mark.external


@pytest.fixture
def cli(settings, monkeypatch):
    from branchdesk.cli import app
    from branchdesk.platform.settings import get_settings

    monkeypatch.setenv("BRANCHDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRANCHDESK_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BRANCHDESK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


@pytest.fixture
async def late(rt, team):
    made = await raise_(rt, team, team.teller)
    await overdue(rt, team.branch.id, made.id)
    return team


def test_the_operator_runs_the_watch_now_and_again(cli, late):
    first = cli("handoffs", "sla-watch", "--branch", late.branch.code)
    assert first.exit_code == 0, first.output
    assert f"{late.branch.code}: 1 escalated, 0 expired" in first.output
    again = cli("handoffs", "sla-watch", "--branch", late.branch.code)
    assert f"{late.branch.code}: 0 escalated, 0 expired" in again.output
    unknown = cli("handoffs", "sla-watch", "--branch", "NOPE00")
    assert unknown.exit_code == 2 and "no branch NOPE00" in unknown.output
