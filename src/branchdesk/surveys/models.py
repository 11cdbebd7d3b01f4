"""Surveys (客户需求分析, 满意度): questionnaires, their questions, clients' responses and answers, and the
invitations sent after a resolved complaint. All branch-owned.

A head-office survey lives in the head office's own rows; publishing it copies it (``source_id`` = the
head-office survey) into every branch, so a branch answers and reads its copy under row-level security
and head office reads results across branches by ``source_id``. Answers carry their survey, question
kind and value in columns of their own, so results are one grouped statement.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class Survey(TenantOwned, Timestamped, Base):
    __tablename__ = "surveys"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "source_id"),
        Index("ix_surveys_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_surveys_tenant_id_title_zh_id", "tenant_id", "title_zh", "id"),
    )

    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(20))  # rules.SurveyPurpose
    origin: Mapped[str] = mapped_column(String(20))  # rules.SurveyOrigin
    # A branch's copy of a head-office survey: the head-office survey's id (in the head office's rows)
    source_id: Mapped[uuid.UUID | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    published_at: Mapped[datetime | None]


class SurveyQuestion(TenantOwned, Base):
    __tablename__ = "survey_questions"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "survey_id"], ["surveys.tenant_id", "surveys.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "survey_id", "position"),
    )

    survey_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(SmallInteger)  # 1, 2, … in the order asked
    kind: Mapped[str] = mapped_column(String(20))  # rules.QuestionKind
    prompt_zh: Mapped[str] = mapped_column(String(500))
    prompt_en: Mapped[str] = mapped_column(String(500))
    required: Mapped[bool]
    options_zh: Mapped[list[str]] = mapped_column(ARRAY(String(200)))  # choices, numbered from 1
    options_en: Mapped[list[str]] = mapped_column(ARRAY(String(200)))


class SurveyInvitation(TenantOwned, Timestamped, Base):
    """A satisfaction survey offered to a client after what it rates (one per subject): sent with a
    token the client answers through, or recorded as not sent with the reason."""

    __tablename__ = "survey_invitations"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "survey_id"], ["surveys.tenant_id", "surveys.id"]),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
        UniqueConstraint("tenant_id", "subject_type", "subject_id"),
        UniqueConstraint("tenant_id", "token_hash"),
    )

    survey_id: Mapped[uuid.UUID | None]
    client_id: Mapped[uuid.UUID | None]
    subject_type: Mapped[str] = mapped_column(String(20))  # rules.SubjectType
    subject_id: Mapped[uuid.UUID]
    rated_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(20))  # rules.InvitationStatus
    reason: Mapped[str | None] = mapped_column(String(30))  # rules.NotSentReason when not sent
    channel: Mapped[str | None] = mapped_column(String(20))  # crm ContactChannel it was sent on
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary)  # SHA-256 of the token; never the token
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class SurveyResponse(TenantOwned, Base):
    __tablename__ = "survey_responses"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "survey_id"], ["surveys.tenant_id", "surveys.id"]),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
        ForeignKeyConstraint(["tenant_id", "invitation_id"], ["survey_invitations.tenant_id", "survey_invitations.id"]),
        UniqueConstraint("tenant_id", "invitation_id"),
        Index("ix_survey_responses_tenant_id_survey_id_responded_on", "tenant_id", "survey_id", "responded_on"),
        Index("ix_survey_responses_tenant_id_client_id_responded_at", "tenant_id", "client_id", "responded_at"),
        Index("ix_survey_responses_tenant_id_responded_at_id", "tenant_id", "responded_at", "id"),
        CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject_whole"),
    )

    survey_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID | None]  # null: anonymous
    invitation_id: Mapped[uuid.UUID | None]
    subject_type: Mapped[str | None] = mapped_column(String(20))  # rules.SubjectType
    subject_id: Mapped[uuid.UUID | None]
    rated_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    responded_at: Mapped[datetime]
    responded_on: Mapped[date] = mapped_column(Date, comment="The branch's calendar day it was answered on")
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))  # null: through an invitation


class SurveyAnswer(TenantOwned, Base):
    __tablename__ = "survey_answers"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["tenant_id", "response_id"], ["survey_responses.tenant_id", "survey_responses.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "question_id"], ["survey_questions.tenant_id", "survey_questions.id"]),
        Index("ix_survey_answers_tenant_id_response_id", "tenant_id", "response_id"),
        Index("ix_survey_answers_tenant_id_survey_id_kind", "tenant_id", "survey_id", "kind"),
    )

    response_id: Mapped[uuid.UUID]
    survey_id: Mapped[uuid.UUID]
    question_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(20))  # the question's rules.QuestionKind
    value: Mapped[int | None] = mapped_column(SmallInteger)  # scale, NPS, or the option of a single choice
    choices: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))  # options of a multiple choice
    text: Mapped[str | None] = mapped_column(String(2000))
