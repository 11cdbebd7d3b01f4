"""Care plans (what contact, for whom, when, by whom), the follow-ups the planner makes from them, what
each planner run did (created, skipped and why), and each branch's care settings.

A follow-up's key is ``(plan, client, occurrence)``: the planner inserts with ``ON CONFLICT DO NOTHING``,
so running it twice, or two workers at once, makes each follow-up once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class CarePlan(TenantOwned, Timestamped, Base):
    __tablename__ = "care_plans"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("contact_from < contact_until", name="contact_hours_in_order"),
        CheckConstraint("(assign_to = 'role') = (assignee_role IS NOT NULL)", name="role_named_when_assigned_to_role"),
        CheckConstraint("(trigger = 'segment_entry') = (segment_id IS NOT NULL)", name="segment_named_for_entry"),
        CheckConstraint(
            "(trigger = 'tier_rhythm') = (tier IS NOT NULL AND every_months IS NOT NULL)", name="tier_rhythm_named"
        ),
        CheckConstraint("trigger = 'birthday' OR birthday_calendar = 'solar'", name="lunar_only_for_birthdays"),
        ForeignKeyConstraint(["tenant_id", "segment_id"], ["segments.tenant_id", "segments.id"]),
    )

    name: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(30))  # rules.Trigger
    offsets: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), comment="days from the trigger's date")
    channel: Mapped[str] = mapped_column(String(20))  # rules.Channel
    title: Mapped[str] = mapped_column(String(200), comment="What the follow-up asks for")
    assign_to: Mapped[str] = mapped_column(String(10))  # rules.Assignee
    assignee_role: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(SmallInteger, comment="1 urgent … 4 low (rules.RANK)")
    shift: Mapped[str] = mapped_column(String(10))  # rules.Shift
    contact_from: Mapped[time] = mapped_column(Time)
    contact_until: Mapped[time] = mapped_column(Time)
    retry_days: Mapped[int] = mapped_column(SmallInteger, comment="a 'not reached' follow-up is due again after")
    max_retries: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(10))  # rules.PlanState
    # Occurrences due before this date are the earlier version's: editing a plan changes the future only.
    effective_from: Mapped[date] = mapped_column(Date)
    segment_id: Mapped[uuid.UUID | None] = mapped_column(comment="segment_entry: the segment entered")
    tier: Mapped[str | None] = mapped_column(String(30), comment="tier_rhythm: the value tier served")
    every_months: Mapped[int | None] = mapped_column(SmallInteger, comment="tier_rhythm: 1 monthly, 3 quarterly…")
    birthday_calendar: Mapped[str] = mapped_column(
        String(10), server_default="solar", comment="birthday: the solar or the lunar birthday (rules.BirthdayCalendar)"
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]


class FollowUp(TenantOwned, Timestamped, Base):
    __tablename__ = "follow_ups"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "plan_id"], ["care_plans.tenant_id", "care_plans.id"]),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "plan_id", "client_id", "occurrence"),
        Index(
            "ix_follow_ups_open_by_assignee",
            "tenant_id",
            "assignee_id",
            "due_on",
            "priority",
            postgresql_where="state = 'open'",
        ),
        Index("ix_follow_ups_tenant_id_due_on_id", "tenant_id", "due_on", "id"),
        Index("ix_follow_ups_tenant_id_client_id_due_on", "tenant_id", "client_id", "due_on"),
        CheckConstraint("state <> 'done' OR outcome IS NOT NULL", name="done_has_an_outcome"),
    )

    plan_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID]
    occurrence: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    covering_for_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff.id"), comment="whose follow-up a cover holds while they are away"
    )
    channel: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(SmallInteger)
    contact_from: Mapped[time] = mapped_column(Time)
    contact_until: Mapped[time] = mapped_column(Time)
    state: Mapped[str] = mapped_column(String(10))  # rules.FollowUpState
    outcome: Mapped[str | None] = mapped_column(String(20))  # rules.Outcome: the latest attempt's
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    note: Mapped[str | None] = mapped_column(String(2000))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(comment="the interaction its completion logged")
    escalated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class CarePlanRun(TenantOwned, Base):
    """One planner pass over one plan: how many follow-ups it created and, per reason, how many it skipped."""

    __tablename__ = "care_plan_runs"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "plan_id"], ["care_plans.tenant_id", "care_plans.id"], ondelete="CASCADE"),
        Index("ix_care_plan_runs_tenant_id_plan_id_ran_at", "tenant_id", "plan_id", "ran_at"),
    )

    plan_id: Mapped[uuid.UUID]
    run_on: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime]
    created: Mapped[int]
    skipped: Mapped[dict[str, Any]] = mapped_column(JSONB, comment="{reason: count}")


class CareSkip(TenantOwned, Base):
    """The latest reason a plan's occurrence for a client was not made a follow-up."""

    __tablename__ = "care_skips"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "plan_id"], ["care_plans.tenant_id", "care_plans.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "plan_id", "client_id", "occurrence"),
    )

    plan_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID]
    occurrence: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20))  # rules.SkipReason
    recorded_at: Mapped[datetime]


class CareSettings(TenantOwned, Base):
    """A branch's quiet hours, weekly contact cap and escalation delay (defaults until it sets them)."""

    __tablename__ = "care_settings"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id"))

    quiet_start: Mapped[time] = mapped_column(Time)
    quiet_end: Mapped[time] = mapped_column(Time)
    weekly_cap: Mapped[int] = mapped_column(SmallInteger)
    escalate_after_days: Mapped[int] = mapped_column(SmallInteger, comment="business days overdue")
    updated_at: Mapped[datetime]
