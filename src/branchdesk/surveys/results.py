"""Survey results: CSAT (share of satisfied scale answers, 4-5) and NPS (% promoters 9-10 minus %
detractors 0-6) per branch, per staff member rated or per month, and each question's distribution of
answers, each one grouped statement. A branch reads its own; head office reads its published survey's
results across every branch through the platform scope, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.platform import audit
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.surveys import errors, repository
from branchdesk.surveys.models import Survey, SurveyQuestion
from branchdesk.surveys.permissions import SURVEY_READ, SURVEY_RESULTS_ALL
from branchdesk.surveys.rules import ResultGrouping, SurveyOrigin, csat, nps
from branchdesk.tenants import service as tenants


@dataclass(frozen=True)
class Score:
    key: Any  # a branch id, a staff id (None: nobody rated) or the first day of a month
    responses: int
    scale_answers: int
    satisfied: int
    nps_answers: int
    promoters: int
    detractors: int

    @property
    def csat(self) -> float | None:
        return csat(self.satisfied, self.scale_answers)

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.detractors, self.nps_answers)


@dataclass(frozen=True)
class Distribution:
    question: SurveyQuestion
    counts: list[tuple[int | None, int]]  # (value or option number; None for free-text answers, answers)


@dataclass(frozen=True)
class Results:
    survey: Survey
    across_branches: bool
    groups: list[Score]
    total: Score
    distributions: list[Distribution]
    # Grouped by staff member: each rated member's (employee number, name), whichever branch they are in.
    rated: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)


def _total(groups: list[Score]) -> Score:
    sums = [sum(getattr(g, f) for g in groups) for f in ("responses", "scale_answers", "satisfied")]
    more = [sum(getattr(g, f) for g in groups) for f in ("nps_answers", "promoters", "detractors")]
    return Score(None, *sums, *more)


async def survey_results(
    session: AsyncSession,
    by: Principal,
    survey_id: uuid.UUID,
    first: date,
    last: date,
    grouping: ResultGrouping,
    platform: AsyncSession | None = None,
) -> Results:
    """The survey's results over the branch's calendar days ``first`` to ``last``. A head-office survey
    read in the head office with ``survey.results:read_all`` (and a ``platform`` session) counts every
    branch's responses to it; anywhere else, the branch's own."""
    by.require(SURVEY_READ)
    if last < first:
        raise DomainError(errors.PERIOD, field="period")
    found = await repository.surveys_by_id(session, by.branch_id, [survey_id])
    if not found:
        raise NotFound("Survey", "问卷", field="surveyId")
    survey = found[0]
    questions = await repository.questions_of(session, by.branch_id, [survey.id])
    across = (
        platform is not None
        and survey.origin == SurveyOrigin.HEAD_OFFICE
        and survey.source_id is None
        and by.can(SURVEY_RESULTS_ALL)
    )
    reader, branch = (platform, None) if across and platform is not None else (session, by.branch_id)
    rows = await repository.scores(reader, branch, survey.id, first, last, grouping)
    groups = [Score(*row) for row in rows]
    spread: dict[int, list[tuple[int | None, int]]] = {}
    for position, value, answers in await repository.distributions(reader, branch, survey.id, first, last):
        spread.setdefault(position, []).append((value, answers))
    rated: dict[uuid.UUID, tuple[str, str]] = {}
    if grouping is ResultGrouping.STAFF:
        members = await tenants.staff_by_ids(session, [g.key for g in groups if g.key is not None])
        rated = {m.id: (m.employee_number, m.display_name) for m in members}
    if across:
        details = {"survey_id": str(survey.id), "from": first.isoformat(), "to": last.isoformat()}
        await audit.record(session, by.branch_id, by.author, "survey.results_read", "survey", survey.id, details)
    return Results(
        survey=survey,
        across_branches=across,
        groups=groups,
        total=_total(groups),
        distributions=[Distribution(q, spread.get(q.position, [])) for q in questions],
        rated=rated,
    )
