"""The schema can be distributed by tenant_id (Citus): keys and references of tenant tables carry it."""

import pytest
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

from branchdesk.models import metadata
from branchdesk.platform.database import tenant_tables

TABLES = tenant_tables(metadata)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_primary_key_leads_with_tenant_id(table):
    assert [c.name for c in table.primary_key.columns][0] == "tenant_id"
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
