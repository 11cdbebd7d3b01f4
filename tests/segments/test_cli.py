"""`branchdesk crm score [--branch CODE]`: rescores a branch as the jobs do; a second run changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from branchdesk.demo import CLIENTS_PER_BRANCH

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


def test_an_operator_scores_one_branch_then_again_with_nothing_to_change(cli, scored_branch):
    # given a branch with the demo's book, never scored: every client gets a score
    first = cli("crm", "score", "--branch", scored_branch.code)
    assert first.exit_code == 0, first.output
    assert f"1 branches scored: {CLIENTS_PER_BRANCH} scores changed" in first.output
    again = cli("crm", "score", "--branch", scored_branch.code)
    assert again.exit_code == 0 and "0 scores changed, 0 tier changes; segment members +0 -0" in again.output
    unknown = cli("crm", "score", "--branch", "NOPE")
    assert unknown.exit_code == 2 and "no branch NOPE" in unknown.output
