"""Branch isolation in PostgreSQL itself, generated from the table metadata: a new tenant-owned
table joins every test here without being named."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.access_reviews import service as reviews
from branchdesk.availability import service as availability
from branchdesk.calendars.models import BranchClosure
from branchdesk.care import service as care
from branchdesk.care.rules import Channel as CareChannel
from branchdesk.care.rules import Trigger
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.rules import ContactChannel, InteractionChannel, InteractionKind
from branchdesk.directives import kinds as directive_kinds
from branchdesk.directives import service as directives
from branchdesk.directives.models import DirectiveCategory, DirectiveTarget
from branchdesk.feedback import rules as feedback_rules
from branchdesk.feedback import service as feedback
from branchdesk.holdings import catalogue
from branchdesk.holdings import feed as holdings_feed
from branchdesk.models import metadata
from branchdesk.notifications import service as notifications
from branchdesk.notifications.kinds import notification_kind
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Database, tenant_tables
from branchdesk.platform.ids import new_id
from branchdesk.rbac import service as rbac
from branchdesk.segments import service as segments
from branchdesk.segments.scoring import service as scoring
from branchdesk.service_accounts.models import ServiceAccount
from branchdesk.surveys import invitations
from branchdesk.surveys import service as surveys
from branchdesk.surveys.answers import AnswerDraft
from branchdesk.surveys.rules import QuestionKind, SubjectType, SurveyPurpose
from branchdesk.tenants import repository as tenants
from branchdesk.visits import service as visits
from tests.conftest import add_member, enter

pytestmark = pytest.mark.external
TABLES = [t.name for t in tenant_tables(metadata)]
SEED_NOTICE = notification_kind("test.isolation_seed", "Isolation seed", "隔离测试数据")


async def _seed_working_together(session: Any, principal: Any, client_id: uuid.UUID, head_id: uuid.UUID) -> None:
    """A referral past due (escalated by the watch), a comment, a ticket, an incident with an update and
    participants, a meeting with an attendee and an action item."""
    from branchdesk.handoffs import comments as handoff_comments
    from branchdesk.handoffs import service as handoffs
    from branchdesk.handoffs.rules import SubjectType
    from branchdesk.meetings import service as meetings
    from branchdesk.tickets import rules as ticket_rules
    from branchdesk.tickets import service as tickets

    work = await handoffs.raise_handoff(
        session, principal, handoffs.HandoffDraft("referral", "seed", client_id=client_id)
    )
    await handoffs.watch(session, Principal.system("tests", principal.branch), utcnow() + timedelta(days=60))
    await handoff_comments.add_comment(session, principal, SubjectType.HANDOFF, work.id, "isolation seed")
    await tickets.open_ticket(
        session,
        principal,
        tickets.TicketDraft(
            ticket_rules.TicketQueue.IT_SUPPORT,
            ticket_rules.TicketCategory.NETWORK,
            ticket_rules.Severity.LOW,
            "seed",
            "seed",
        ),
    )
    incident = await tickets.declare_incident(
        session, principal, ticket_rules.IncidentKind.SECURITY_EVENT, "seed", "seed"
    )
    await tickets.close_incident(session, principal, incident.id, "seed")
    item = meetings.ActionItemDraft("seed", head_id, utcnow().date() + timedelta(days=7))
    await meetings.record_meeting(
        session,
        principal,
        meetings.MeetingDraft("seed", utcnow(), "seed", attendee_ids=[head_id], action_items=[item]),
    )


@pytest.fixture(scope="module")
async def seeded(rt, world):
    """Both branches own at least one row in every tenant table (checked, not assumed)."""
    for branch, head in ((world.branch_a, world.head_a), (world.branch_b, world.head_b)):
        manager = await add_member(rt, branch, ["customer_manager"])
        async with rt.db.session(None) as session:
            staff = await tenants.staff_by_employee_number(session, head)
            principal = await enter(rt, session, staff.id, branch.code)
            co_owner = (await tenants.staff_by_employee_number(session, manager)).id
            client = await records.create_client(
                session,
                principal,
                crm.ClientDraft(client_number=f"iso-{uuid.uuid4().hex[:8]}", name="隔离", co_owner_ids=[co_owner]),
            )
            await interactions.log_interaction(
                session,
                principal,
                interactions.InteractionDraft(
                    client.id, InteractionKind.NOTE, InteractionChannel.BRANCH, utcnow(), "隔离"
                ),
            )
            complaint = feedback.FeedbackDraft(
                kind=feedback_rules.FeedbackKind.COMPLAINT,
                channel=feedback_rules.Channel.COUNTER,
                category="waiting_time",
                severity=feedback_rules.Severity.HIGH,
                summary="isolation seed",
                client_id=client.id,
                received_at=utcnow() - timedelta(days=20),  # past its SLA: the watch escalates it
            )
            filed = await feedback.submit_feedback(session, principal, complaint)
            await feedback.escalate_breaches(session, Principal.system("tests", principal.branch))
            await catalogue.define_products(
                session, Principal.system("tests"), [catalogue.ProductDraft("ISO-SEED", "隔离", "Isolation seed")]
            )
            await holdings_feed.record_rates(session, principal, date(2026, 1, 5), {"USD": Decimal("7.1")})
            await holdings_feed.feed_holdings(
                session,
                principal,
                date(2026, 1, 5),
                [{"reference": f"iso-{client.id}", "client_number": client.client_number,
                  "product_code": "ISO-SEED", "balance": Decimal(1), "currency": "USD"}],
            )  # fmt: skip
            await _seed_surveys(session, principal, client.id, filed.id)
            await audit.check_and_record(session, branch.id, source=f"isolation-seed:{uuid.uuid4()}")
            await rbac.set_permission(session, principal, "it_support", "client:read", True, reason="isolation seed")
            await reviews.open_review(session, principal, "isolation seed")
            await visits.register_visit(session, principal, visits.VisitDraft("cash", "counter", client_id=client.id))
            session.add(
                ServiceAccount(
                    tenant_id=branch.id,
                    client_id=f"{branch.code}.seed-{uuid.uuid4().hex[:6]}",
                    name="seed",
                    permissions=["branch:read"],
                    secret_hash="x",
                    active=True,
                    created_at=utcnow(),
                )
            )
            session.add(
                BranchClosure(
                    tenant_id=branch.id, starts_on=date(2099, 12, 30), ends_on=date(2099, 12, 31), reason="seed"
                )
            )
            await notifications.notify(
                session, branch.id, [staff.id], kind=SEED_NOTICE, key=f"seed-{uuid.uuid4()}", title="isolation seed"
            )
            await availability.record_absence(
                session, principal, staff.id, utcnow() + timedelta(days=400), utcnow() + timedelta(days=401), "seed"
            )
            await scoring.override_tiers(session, principal, {"gold": Decimal(60_000)})
            await scoring.rescore(session, Principal.system("tests", principal.branch), "isolation seed")
            await segments.define_segment(session, principal, "isolation seed", None, {"aum": {"min": 0}})
            await _seed_working_together(session, principal, client.id, staff.id)
    # Directives: one to both branches, delivered, attested and asked about in each; a preference in each.
    async with rt.db.session(world.head_office.id) as session:
        office = Principal.system("tests", BranchRef(world.head_office.id, world.head_office.code, head_office=True))
        directive = await directives.publish(
            session,
            office,
            directives.DirectiveDraft(
                "隔离", "Isolation", "隔离", "Isolation", DirectiveCategory.POLICY, date.today(),
                utcnow() + timedelta(days=30), ["branch_head"], DirectiveTarget.LIST,
                branches=[world.branch_a.code, world.branch_b.code],
            ),
        )  # fmt: skip
    for branch, head in ((world.branch_a, world.head_a), (world.branch_b, world.head_b)):
        async with system_work(rt.db, "tests", branch.id) as (session, system):
            await directives.deliver(session, system)
        async with rt.db.session(None) as session:
            staff = await tenants.staff_by_employee_number(session, head)
            principal = await enter(rt, session, staff.id, branch.code)
            await directives.attest(session, principal, directive.id)
            await directives.ask(session, principal, directive.id, "isolation seed")
            await notifications.set_preference(session, principal, directive_kinds.REMINDER, live=False)
            await records.create_client(
                session,
                principal,
                crm.ClientDraft(
                    client_number=f"iso-care-{uuid.uuid4().hex[:8]}",
                    name="关怀",
                    kyc_expires_on=utcnow().date() + timedelta(days=2),
                    consents=[ContactChannel.PHONE],
                    phone=f"139{secrets.randbelow(10**8):08d}",
                ),
            )
            await care.set_settings(session, principal, time(21), time(8), 3, 2)
            for name, channel in (("isolation call", CareChannel.PHONE), ("isolation mail", CareChannel.EMAIL)):
                draft = care.PlanDraft(name, Trigger.KYC_EXPIRY, channel, "isolation seed", offsets=[0])
                await care.define_plan(session, principal, draft)  # the mail one is skipped: no consent
            await care.plan_day(session, principal)
    async with rt.db.platform_session() as session:
        for table in TABLES:
            for branch in (world.branch_a, world.branch_b):
                rows = await session.scalar(
                    text(f"select count(*) from {table} where tenant_id = :t"), {"t": branch.id}
                )
                assert rows, f"seed a row of {table} for both branches in this fixture"
    return world


async def _seed_surveys(session: Any, principal: Principal, client_id: uuid.UUID, complaint_id: uuid.UUID) -> None:
    """A satisfaction survey, a response rating the complaint, and the complaint's invitation."""
    question = surveys.QuestionDraft(QuestionKind.SCALE, "满意吗", "Satisfied?")
    draft = surveys.SurveyDraft("满意度", "Satisfaction", SurveyPurpose.SATISFACTION, [question])
    survey = await surveys.define_survey(session, principal, draft)
    response = surveys.ResponseDraft(
        [AnswerDraft(1, value=5)],
        survey.id,
        client_id=client_id,
        subject_type=SubjectType.COMPLAINT,
        subject_id=complaint_id,
    )
    await surveys.record_response(session, principal, response)
    await invitations.invite_after_complaint(session, Principal.system("tests", principal.branch), complaint_id)


def test_every_tenant_table_is_known():
    assert {
        "memberships",
        "audit_events",
        "outbox",
        "audit_chain_checks",
        "policy_overrides",
        "policy_changes",
        "service_accounts",
        "access_reviews",
        "access_review_items",
        "branch_closures",
        "clients",
        "client_co_owners",
        "client_assignments",
        "feedback",
        "complaint_transitions",
        "complaint_escalations",
        "branch_tier_thresholds",
        "client_scores",
        "client_score_changes",
        "segments",
        "segment_members",
        "handoffs",
        "handoff_escalations",
        "comments",
        "support_tickets",
        "incidents",
        "incident_updates",
        "incident_participants",
        "meetings",
        "meeting_attendees",
    } <= set(TABLES)


@pytest.mark.parametrize("table", TABLES)
async def test_without_a_branch_nothing_is_visible(rt, seeded, table):
    async with rt.db.session(None) as session:
        assert await session.scalar(text(f"select count(*) from {table}")) == 0


@pytest.mark.parametrize("table", TABLES)
async def test_a_branch_sees_only_its_own_rows(rt, seeded, table):
    a, b = seeded.branch_a.id, seeded.branch_b.id
    async with rt.db.session(a) as session:
        assert await session.scalar(text(f"select count(*) from {table} where tenant_id = :a"), {"a": a}) > 0
        assert await session.scalar(text(f"select count(*) from {table} where tenant_id <> :a"), {"a": a}) == 0
        if await session.scalar(text("select has_table_privilege(:t, 'UPDATE')"), {"t": table}):
            changed = await session.execute(
                text(f"update {table} set tenant_id = tenant_id where tenant_id = :b"), {"b": b}
            )
            assert changed.rowcount == 0


async def _row_of(rt, table: str, tenant: uuid.UUID) -> dict[str, Any]:
    async with rt.db.platform_session() as session:
        row = (
            (await session.execute(text(f"select * from {table} where tenant_id = :t limit 1"), {"t": tenant}))
            .mappings()
            .one()
        )
    generated = {c.name for c in metadata.tables[table].columns if c.computed is not None}  # PostgreSQL writes those
    return {k: v for k, v in row.items() if k not in generated}


@pytest.mark.parametrize("table", TABLES)
async def test_writing_a_row_for_another_branch_is_rejected(rt, seeded, table):
    row = await _row_of(rt, table, seeded.branch_b.id) | {"id": new_id()}
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with rt.db.session(seeded.branch_a.id) as session:
            await session.execute(text(f"insert into {table} ({columns}) values ({values})"), _jsonable(row, table))


def _jsonable(row: dict[str, Any], table: str) -> dict[str, Any]:
    import json

    from sqlalchemy import JSON

    json_columns = {c.name for c in metadata.tables[table].columns if isinstance(c.type, JSON)}  # a JSONB list too
    return {k: json.dumps(v) if isinstance(v, dict) or k in json_columns else v for k, v in row.items()}


@pytest.mark.parametrize("table", TABLES)
async def test_every_tenant_table_forces_row_level_security(rt, table):
    async with rt.db.platform_session() as session:
        enabled, forced = (
            await session.execute(
                text("select relrowsecurity, relforcerowsecurity from pg_class where relname = :t and relkind = 'r'"),
                {"t": table},
            )
        ).one()
        policy = await session.scalar(text("select qual from pg_policies where tablename = :t"), {"t": table})
    assert enabled and forced
    assert "current_setting('app.tenant_id'" in policy and " OR " not in policy.upper()


async def test_application_role_cannot_bypass_row_level_security(rt):
    async with rt.db.session(None) as session:
        me = (
            await session.execute(
                text("select current_user, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            )
        ).one()
        owned = await session.scalar(
            text("select count(*) from pg_tables where schemaname = 'public' and tableowner = current_user")
        )
    assert me == (rt.endpoints.roles.app, False, False)
    assert owned == 0


async def test_platform_scope_is_a_separate_role(rt):
    async with rt.db.platform_session() as session:
        assert await session.scalar(text("select current_user")) == rt.endpoints.roles.platform


async def test_a_pooled_connection_carries_nothing_from_one_branch_to_the_next(rt, seeded):
    single = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=1)  # reused by every session below
    a, b = seeded.branch_a.id, seeded.branch_b.id
    try:
        async with single.session(a) as session:
            first_pid = await session.scalar(text("select pg_backend_pid()"))
            assert await session.scalar(text("select count(*) from memberships")) > 0
        async with single.session(None) as session:
            assert await session.scalar(text("select pg_backend_pid()")) == first_pid
            assert await session.scalar(text("select count(*) from memberships")) == 0
        async with single.session(b) as session:
            assert await session.scalar(text("select pg_backend_pid()")) == first_pid
            assert await session.scalar(text("select count(*) from memberships where tenant_id = :a"), {"a": a}) == 0
            assert await session.scalar(text("select count(*) from memberships where tenant_id = :b"), {"b": b}) > 0
    finally:
        await single.dispose()
