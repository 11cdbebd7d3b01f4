"""All SQL of surveys. Every statement on a branch's rows filters by ``tenant_id`` (row-level security
does too), except the head-office results, which run in the platform scope across branches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Select, and_, cast, func, literal_column, select, text, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse
from branchdesk.surveys.rules import (
    DETRACTOR_UP_TO,
    PROMOTER_FROM,
    SATISFIED_FROM,
    QuestionKind,
    ResultGrouping,
    SurveyPurpose,
)


@dataclass(frozen=True)
class Filters:
    purpose: str | None = None
    origin: str | None = None


# --- surveys and questions ------------------------------------------------------------------------


def surveys_query(branch_id: uuid.UUID, filters: Filters) -> Select[Any]:
    stmt = select(Survey).where(Survey.tenant_id == branch_id)
    if filters.purpose is not None:
        stmt = stmt.where(Survey.purpose == filters.purpose)
    if filters.origin is not None:
        stmt = stmt.where(Survey.origin == filters.origin)
    return stmt


async def surveys_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Survey]:
    if not ids:
        return []
    return list(await session.scalars(select(Survey).where(Survey.tenant_id == branch_id, Survey.id.in_(ids))))


async def questions_of(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[SurveyQuestion]:
    if not ids:
        return []
    stmt = (
        select(SurveyQuestion)
        .where(SurveyQuestion.tenant_id == branch_id, SurveyQuestion.survey_id.in_(ids))
        .order_by(SurveyQuestion.survey_id, SurveyQuestion.position)
    )
    return list(await session.scalars(stmt))


async def copy_survey(
    session: AsyncSession, branch_id: uuid.UUID, survey: dict[str, Any], questions: list[dict[str, Any]]
) -> bool:
    """A head-office survey copied into the branch the session is bound to; False when it has it already."""
    stmt = (
        pg_insert(Survey)
        .values(tenant_id=branch_id, **survey)
        .on_conflict_do_nothing(index_elements=["tenant_id", "source_id"])
        .returning(Survey.id)
    )
    copied = await session.scalar(stmt)
    if copied is None:
        return False
    rows = [{"tenant_id": branch_id, "survey_id": copied, "id": uuid.uuid4(), **q} for q in questions]
    await session.execute(pg_insert(SurveyQuestion).values(rows))
    return True


async def latest_satisfaction_survey(session: AsyncSession, branch_id: uuid.UUID) -> Survey | None:
    """The survey a resolved complaint sends: the branch's newest satisfaction survey."""
    stmt = (
        select(Survey)
        .where(Survey.tenant_id == branch_id, Survey.purpose == SurveyPurpose.SATISFACTION.value)
        .order_by(Survey.created_at.desc(), Survey.id.desc())
        .limit(1)
    )
    found: Survey | None = await session.scalar(stmt)
    return found


# --- invitations ----------------------------------------------------------------------------------


async def invitation_of(
    session: AsyncSession, branch_id: uuid.UUID, subject_type: str, subject_id: uuid.UUID
) -> SurveyInvitation | None:
    stmt = select(SurveyInvitation).where(
        SurveyInvitation.tenant_id == branch_id,
        SurveyInvitation.subject_type == subject_type,
        SurveyInvitation.subject_id == subject_id,
    )
    found: SurveyInvitation | None = await session.scalar(stmt)
    return found


async def record_invitation(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID | None:
    """Insert an invitation; None when its subject has one already (a re-delivered job)."""
    stmt = (
        pg_insert(SurveyInvitation)
        .values(row)
        .on_conflict_do_nothing(index_elements=["tenant_id", "subject_type", "subject_id"])
        .returning(SurveyInvitation.id)
    )
    found: uuid.UUID | None = await session.scalar(stmt)
    return found


async def invitation_by_token_for_update(
    session: AsyncSession, branch_id: uuid.UUID, token_hash: bytes
) -> SurveyInvitation | None:
    stmt = (
        select(SurveyInvitation)
        .where(SurveyInvitation.tenant_id == branch_id, SurveyInvitation.token_hash == token_hash)
        .with_for_update()
    )
    found: SurveyInvitation | None = await session.scalar(stmt)
    return found


# --- responses ------------------------------------------------------------------------------------


async def record_answers(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(pg_insert(SurveyAnswer).values(rows))


async def responses_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[SurveyResponse]:
    if not ids:
        return []
    stmt = select(SurveyResponse).where(SurveyResponse.tenant_id == branch_id, SurveyResponse.id.in_(ids))
    return list(await session.scalars(stmt))


async def responses_of_clients(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]
) -> list[SurveyResponse]:
    if not client_ids:
        return []
    stmt = (
        select(SurveyResponse)
        .where(SurveyResponse.tenant_id == branch_id, SurveyResponse.client_id.in_(client_ids))
        .order_by(SurveyResponse.client_id, SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
    )
    return list(await session.scalars(stmt))


async def answers_of(session: AsyncSession, branch_id: uuid.UUID, response_ids: list[uuid.UUID]) -> list[SurveyAnswer]:
    if not response_ids:
        return []
    stmt = (
        select(SurveyAnswer)
        .where(SurveyAnswer.tenant_id == branch_id, SurveyAnswer.response_id.in_(response_ids))
        .order_by(SurveyAnswer.response_id, SurveyAnswer.position)
    )
    return list(await session.scalars(stmt))


# --- results --------------------------------------------------------------------------------------


def _responses_of(branch_id: uuid.UUID | None, survey_id: uuid.UUID, first: date, last: date) -> Any:
    """The responses counted: the branch's to its survey, or (``branch_id`` None, platform scope) every
    branch's to its copy of the head-office survey ``survey_id``."""
    stmt = select(
        SurveyResponse.tenant_id, SurveyResponse.id, SurveyResponse.rated_staff_id, SurveyResponse.responded_on
    )
    if branch_id is not None:
        stmt = stmt.where(SurveyResponse.tenant_id == branch_id, SurveyResponse.survey_id == survey_id)
    else:
        stmt = stmt.join(
            Survey, and_(Survey.tenant_id == SurveyResponse.tenant_id, Survey.id == SurveyResponse.survey_id)
        ).where(Survey.source_id == survey_id)
    return stmt.where(SurveyResponse.responded_on.between(first, last)).subquery("r")


async def scores(
    session: AsyncSession,
    branch_id: uuid.UUID | None,
    survey_id: uuid.UUID,
    first: date,
    last: date,
    grouping: ResultGrouping,
) -> list[Any]:
    """Per group: (key, responses, scale answers, satisfied, NPS answers, promoters, detractors), one
    grouped statement over the responses and their scale and NPS answers."""
    r = _responses_of(branch_id, survey_id, first, last)
    key = {
        ResultGrouping.BRANCH: r.c.tenant_id,
        ResultGrouping.STAFF: r.c.rated_staff_id,
        ResultGrouping.MONTH: cast(func.date_trunc("month", r.c.responded_on), Date),
    }[grouping].label("key")
    scale = SurveyAnswer.kind == QuestionKind.SCALE.value
    nps = SurveyAnswer.kind == QuestionKind.NPS.value
    stmt = (
        select(
            key,
            func.count(func.distinct(r.c.id)).label("responses"),
            func.count().filter(scale).label("scale_answers"),
            func.count().filter(scale, SurveyAnswer.value >= SATISFIED_FROM).label("satisfied"),
            func.count().filter(nps).label("nps_answers"),
            func.count().filter(nps, SurveyAnswer.value >= PROMOTER_FROM).label("promoters"),
            func.count().filter(nps, SurveyAnswer.value <= DETRACTOR_UP_TO).label("detractors"),
        )
        .select_from(r)
        .outerjoin(
            SurveyAnswer,
            and_(
                SurveyAnswer.tenant_id == r.c.tenant_id,
                SurveyAnswer.response_id == r.c.id,
                SurveyAnswer.kind.in_([QuestionKind.SCALE.value, QuestionKind.NPS.value]),
            ),
        )
        .group_by(key)
        .order_by(key.asc().nulls_last())
    )
    return list((await session.execute(stmt)).all())


async def distributions(
    session: AsyncSession, branch_id: uuid.UUID | None, survey_id: uuid.UUID, first: date, last: date
) -> list[Any]:
    """(question position, value or option number, count) of every answer; a multiple choice counts
    each option chosen, a free-text question counts its answers under a null value."""
    r = _responses_of(branch_id, survey_id, first, last)
    chosen = func.unnest(SurveyAnswer.choices).table_valued("choice").render_derived("chosen")
    value = func.coalesce(SurveyAnswer.value, cast(chosen.c.choice, Integer)).label("given")
    stmt = (
        select(SurveyAnswer.position, value, func.count().label("answers"))
        .select_from(r)
        .join(SurveyAnswer, and_(SurveyAnswer.tenant_id == r.c.tenant_id, SurveyAnswer.response_id == r.c.id))
        .outerjoin(chosen, true())
        .group_by(SurveyAnswer.position, literal_column("given"))
        .order_by(SurveyAnswer.position, literal_column("given").asc().nulls_last())
    )
    return list((await session.execute(stmt)).all())


# --- demo data ------------------------------------------------------------------------------------


async def seed_responses(
    session: AsyncSession, branch_id: uuid.UUID, survey_id: uuid.UUID, every: int, days: int, now: datetime
) -> int:
    """Deterministic responses for a demo branch, two statements: every ``every``-th client (by client
    number) answered once in the last ``days`` days, rating its owner; each answer follows from a hash of
    the client number and the question, so a satisfaction survey's scores come out mostly good."""
    responses = text(
        """
        INSERT INTO survey_responses
          (tenant_id, id, survey_id, client_id, rated_staff_id, responded_at, responded_on)
        SELECT c.tenant_id, gen_random_uuid(), :survey, c.id, c.owner_id, t.at,
               (t.at AT TIME ZONE 'Asia/Shanghai')::date
        FROM (SELECT tenant_id, id, owner_id, client_number,
                     row_number() OVER (ORDER BY client_number) AS n
              FROM clients WHERE tenant_id = :branch) AS c
        CROSS JOIN LATERAL (
          SELECT CAST(:now AS timestamptz) - make_interval(days => mod(abs(hashtext(c.client_number)), :days),
                                      hours => mod(abs(hashtext(c.client_number || 'h')), 8)) AS at
        ) AS t
        WHERE mod(c.n, :every) = 0
        """
    )
    made = await session.execute(
        responses, {"branch": branch_id, "survey": survey_id, "every": every, "days": days, "now": now}
    )
    answers = text(
        """
        INSERT INTO survey_answers
          (tenant_id, id, response_id, survey_id, question_id, position, kind, value, choices, text)
        SELECT r.tenant_id, gen_random_uuid(), r.id, r.survey_id, q.id, q.position, q.kind,
               CASE q.kind
                 WHEN 'scale' THEN (ARRAY[2, 3, 4, 4, 5, 5, 5, 4, 5, 3])[1 + mod(h.v, 10)]
                 WHEN 'nps' THEN (ARRAY[10, 9, 9, 8, 10, 7, 6, 9, 10, 3])[1 + mod(h.v, 10)]
                 WHEN 'single_choice' THEN 1 + mod(h.v, cardinality(q.options_zh))
               END,
               CASE WHEN q.kind = 'multiple_choice'
                 THEN ARRAY[1 + mod(h.v, cardinality(q.options_zh))]::smallint[] END,
               NULL
        FROM survey_responses r
        JOIN clients c ON c.tenant_id = r.tenant_id AND c.id = r.client_id
        JOIN survey_questions q ON q.tenant_id = r.tenant_id AND q.survey_id = r.survey_id
        CROSS JOIN LATERAL (SELECT abs(hashtext(c.client_number || q.position::text)) AS v) AS h
        WHERE r.tenant_id = :branch AND r.survey_id = :survey AND q.kind <> 'text'
        """
    )
    await session.execute(answers, {"branch": branch_id, "survey": survey_id})
    return int(made.rowcount or 0)  # type: ignore[attr-defined]


async def resolved_complaints(session: AsyncSession, branch_id: uuid.UUID) -> list[uuid.UUID]:
    """The branch's complaints resolved at some point (demo: the one that sends an invitation)."""
    stmt = text(
        "SELECT id FROM feedback WHERE tenant_id = :branch AND kind = 'complaint' AND resolved_at IS NOT NULL"
        " ORDER BY resolved_at, id"
    )
    return list((await session.scalars(stmt, {"branch": branch_id})).all())
