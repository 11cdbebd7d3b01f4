"""The administrator's verbs: `branchdesk staff create | add-membership | transfer | remove-membership |
deactivate | reactivate`, acting as the system through the same services as the API."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from branchdesk.platform.clock import utcnow
from tests.conftest import unique_employee_number

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


def test_an_administrator_hires_covers_moves_and_lets_go_from_the_command_line(cli, world):
    number = unique_employee_number("C")
    a, b = world.branch_a.code, world.branch_b.code

    created = cli("staff", "create", number, "--name", "Zhou Min", "--phone", "13912345678")
    assert created.exit_code == 0, created.output
    taken = cli("staff", "create", number, "--name", "Zhou Min")
    assert taken.exit_code == 2 and "EMPLOYEE_NUMBER_TAKEN [employeeNumber]" in taken.output

    joined = cli("staff", "add-membership", number, "--branch", a, "--roles", "customer_manager")
    assert joined.exit_code == 0 and f"{number} in {a} as customer_manager (regular" in joined.output

    tomorrow = (utcnow().astimezone(ZoneInfo(world.branch_b.timezone)) + timedelta(days=1)).date()
    until = tomorrow + timedelta(days=13)
    cover = cli(
        "staff", "add-membership", number, "--branch", b, "--roles", "customer_manager",
        "--cover-from", tomorrow.isoformat(), "--cover-until", until.isoformat(),
    )  # fmt: skip
    assert cover.exit_code == 0 and "(cover from" in cover.output and " until " in cover.output
    same = cli("staff", "transfer", number, "--from", a, "--to", a)
    assert same.exit_code == 2 and "SAME_BRANCH_TRANSFER [toBranchCode]" in same.output

    ended = cli("staff", "remove-membership", number, "--branch", b)
    assert ended.exit_code == 0 and f"no longer a member of {b}" in ended.output
    moved = cli("staff", "transfer", number, "--from", a, "--to", b, "--reason", "new post")
    assert moved.exit_code == 0 and f"{number} in {b} as customer_manager (regular" in moved.output

    left = cli("staff", "deactivate", number, "--reason", "left the bank")
    assert left.exit_code == 0 and f"memberships ended: ['{b}']" in left.output
    back = cli("staff", "reactivate", number)
    assert back.exit_code == 0 and "active again" in back.output
