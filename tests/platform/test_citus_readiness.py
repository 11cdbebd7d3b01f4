"""The schema can be distributed by tenant_id (Citus): keys and references of tenant tables carry it."""

import pytest
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

from branchdesk.models import metadata
from branchdesk.platform.database import tenant_tables

TABLES = tenant_tables(metadata)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_primary_key_leads_with_tenant_id(table):
    assert next(iter(table.primary_key.columns)).name == "tenant_id"
    assert table.c.tenant_id.nullable is False


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_unique_constraints_include_tenant_id(table):
    uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    uniques += [i for i in table.indexes if i.unique]
    for constraint in uniques:
        assert "tenant_id" in [c.name for c in constraint.columns], constraint.name


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_references_between_tenant_tables_include_tenant_id(table):
    for fk in [c for c in table.constraints if isinstance(c, ForeignKeyConstraint)]:
        if fk.referred_table.info.get("tenant_owned"):
            local = [c.name for c in fk.columns]
            remote = [e.column.name for e in fk.elements]
            assert "tenant_id" in local and "tenant_id" in remote, fk.name


def test_committed_distribution_script_is_current():
    from pathlib import Path

    from branchdesk.platform.citus import distribution_sql

    committed = (Path(__file__).resolve().parents[2] / "infra" / "citus" / "distribute.sql").read_text()
    assert committed == distribution_sql(metadata), "run `branchdesk export-citus` and commit the script"


def test_every_tenant_table_is_distributed_by_tenant_and_the_rest_is_reference():
    from branchdesk.platform.citus import distribution_sql

    sql = distribution_sql(metadata)
    for table in metadata.sorted_tables:
        if table.info.get("tenant_owned"):
            assert f"create_distributed_table('{table.name}', 'tenant_id'" in sql
        else:
            assert f"create_reference_table('{table.name}')" in sql
