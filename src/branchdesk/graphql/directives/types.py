"""GraphQL types of head-office directives: the directive (one version), a branch's questions about it,
and head office's view of who attested it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.directives import models
from branchdesk.directives import service as directives
from branchdesk.graphql.labels import graphql_enum, label, localized
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.tenants.types import BranchLevel, StaffMember, member_or_none
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.tenants.models import BranchLevel as Level

DirectiveCategory = graphql_enum(models.DirectiveCategory, "DirectiveCategory", "What a directive is about.")
DirectiveTarget = graphql_enum(models.DirectiveTarget, "DirectiveTarget", "Which branches a directive reaches.")


def directive_gid(directive_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("Directive", str(directive_id)))


def question_gid(question_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("DirectiveQuestion", str(question_id)))


@strawberry.type(
    name="Directive",
    description="A head-office directive (总行通知与指令), one version of it: never edited once published; a "
    "correction is a new version that supersedes it and asks for attestation again.",
)
class Directive:
    id: strawberry.ID = strawberry.field(description="The directive's id (this version's).")
    version: int = strawberry.field(description="1 for the first version, one more for each correction.")
    title_zh: str = strawberry.field(description="The title in Chinese.")
    title_en: str = strawberry.field(description="The title in English.")
    body_zh: str = strawberry.field(description="The text in Chinese.")
    body_en: str = strawberry.field(description="The text in English.")
    attachments: list[str] = strawberry.field(description="References to attached documents (document ids or URLs).")
    category: DirectiveCategory = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    effective_on: date = strawberry.field(description="The day it takes effect.")
    deadline: datetime = strawberry.field(description="Attest by then; later attestations are recorded as late.")
    target: DirectiveTarget = strawberry.field(description="Which branches it reaches.")  # type: ignore[valid-type]
    target_level: BranchLevel | None = strawberry.field(
        description="The level it reaches (target LEVEL); null otherwise."
    )
    published_at: datetime = strawberry.field(description="When head office published it.")
    superseded_at: datetime | None = strawberry.field(description="When a correction replaced it; null while current.")
    attested_at: datetime | None = strawberry.field(
        description="When the caller attested it in the active branch; null if they have not (or in head office)."
    )
    attested_late: bool | None = strawberry.field(
        description="Whether the caller's attestation came after the deadline; null without one."
    )
    directive_id: strawberry.Private[uuid.UUID]
    supersedes_id: strawberry.Private[uuid.UUID | None]
    role_names: strawberry.Private[list[str]]
    published_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, row: directives.DirectiveRow) -> Directive:
        d = row.directive
        return cls(
            id=directive_gid(d.id),
            version=d.version,
            title_zh=d.title_zh,
            title_en=d.title_en,
            body_zh=d.body_zh,
            body_en=d.body_en,
            attachments=list(d.attachments),
            category=d.category,
            effective_on=d.effective_on,
            deadline=d.deadline,
            target=d.target,
            target_level=Level(d.target_level) if d.target_level else None,
            published_at=d.published_at,
            superseded_at=d.superseded_at,
            attested_at=row.attested_at,
            attested_late=row.late,
            directive_id=d.id,
            supersedes_id=d.supersedes_id,
            role_names=list(d.roles),
            published_by_id=d.published_by,
        )

    @strawberry.field(description="The title in the caller's language.")
    def title(self, info: Info) -> str:
        return localized(self.title_en, self.title_zh, info.context.locale)

    @strawberry.field(description="The text in the caller's language.")
    def body(self, info: Info) -> str:
        return localized(self.body_en, self.body_zh, info.context.locale)

    @strawberry.field(description="The category in the caller's language.")
    def category_label(self, info: Info) -> str:
        return label(self.category, info.context.locale)

    @strawberry.field(description="The reach in the caller's language.")
    def target_label(self, info: Info) -> str:
        return label(self.target, info.context.locale)

    @strawberry.field(description="The roles that must attest it, in every branch it reaches.")
    def roles(self) -> list[RoleInfo]:
        return [RoleInfo(name=name) for name in self.role_names]

    @strawberry.field(description="Whether it is the current version (not superseded).")
    def current(self) -> bool:
        return self.superseded_at is None

    @strawberry.field(description="The version it corrects; null for a first version.")
    async def supersedes(self, info: Info) -> Directive | None:
        if self.supersedes_id is None:
            return None
        found: Directive | None = await info.context.loaders.directive.load(self.supersedes_id)
        return found

    @strawberry.field(description="The version that corrected it; null while it is current.")
    async def superseded_by(self, info: Info) -> Directive | None:
        if self.superseded_at is None:
            return None
        found: Directive | None = await info.context.loaders.directive_successor.load(self.directive_id)
        return found

    @strawberry.field(
        description="Questions about it: the active branch's own; in head office, every branch's (read across "
        "branches), oldest first."
    )
    async def questions(self, info: Info) -> list[DirectiveQuestion]:
        found: list[DirectiveQuestion] = await info.context.loaders.directive_questions.load(self.directive_id)
        return found


@strawberry.type(name="DirectiveConnection", description="A page of directives.")
class DirectiveConnection(CountedConnection[Directive]):  # type: ignore[type-var]  # a page of non-Node rows
    pass


@strawberry.enum(description="What directives are sorted by.")
class DirectiveOrderField(Enum):
    PUBLISHED_AT = strawberry.enum_value("published_at", description="When each was published.")


@strawberry.input(description="How directives are sorted: `{direction: DESC}` is newest first.")
class DirectiveOrder:
    field: DirectiveOrderField = DirectiveOrderField.PUBLISHED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type(
    name="DirectiveQuestion", description="A branch's question about a directive, and head office's answer."
)
class DirectiveQuestion:
    id: strawberry.ID = strawberry.field(description="The question's id.")
    branch_code: str = strawberry.field(description="The branch that asked.")
    question: str = strawberry.field(description="What the branch asked.")
    asked_at: datetime = strawberry.field(description="When it was asked.")
    answer: str | None = strawberry.field(description="Head office's answer; null until answered.")
    answered_at: datetime | None = strawberry.field(description="When it was answered.")
    directive_id: strawberry.Private[uuid.UUID]
    asked_by_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, found: Any, branch_code: str) -> DirectiveQuestion:
        return cls(
            id=question_gid(found.id),
            branch_code=branch_code,
            question=found.question,
            asked_at=found.asked_at,
            answer=found.answer,
            answered_at=found.answered_at,
            directive_id=found.directive_id,
            asked_by_id=found.asked_by,
        )

    @strawberry.field(description="Who asked, when they are a member of the active branch; null otherwise.")
    async def asked_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.asked_by_id)


@strawberry.type(description="Attestation of a directive in one branch, for one required role.")
class DirectiveAttestationRate:
    branch_code: str = strawberry.field(description="The branch.")
    branch_name: str = strawberry.field(description="The branch's name.")
    role: RoleInfo = strawberry.field(description="The required role.")
    required: int = strawberry.field(description="Members holding the role who must attest.")
    attested: int = strawberry.field(description="Of those, how many attested.")
    late: int = strawberry.field(description="Of those, how many attested after the deadline.")

    @strawberry.field(description="attested / required, from 0 to 1.")
    def rate(self) -> float:
        return self.attested / self.required if self.required else 1.0


@strawberry.type(description="A member of staff who must attest a directive and has not.")
class DirectiveMissingAttester:
    branch_code: str = strawberry.field(description="Their branch.")
    branch_name: str = strawberry.field(description="Their branch's name.")
    employee_number: str = strawberry.field(description="Their employee number.")
    display_name: str = strawberry.field(description="Their name.")
    roles: list[RoleInfo] = strawberry.field(description="Their roles the directive requires.")


@strawberry.type(description="Head office's view of a directive's attestation across the branches it reaches.")
class DirectiveAttestation:
    directive: Directive = strawberry.field(description="The directive (this version).")
    rates: list[DirectiveAttestationRate] = strawberry.field(description="Per branch and required role.")
    missing: list[DirectiveMissingAttester] = strawberry.field(
        description="Who must attest and has not, by branch and employee number (at most `missingFirst`)."
    )

    @classmethod
    def of(cls, found: directives.Attestation) -> DirectiveAttestation:
        return cls(
            directive=Directive.of(directives.DirectiveRow(found.directive)),
            rates=[
                DirectiveAttestationRate(
                    branch_code=r.branch_code,
                    branch_name=r.branch_name,
                    role=RoleInfo(name=r.role),
                    required=r.required,
                    attested=r.attested,
                    late=r.late,
                )
                for r in found.rates
            ],
            missing=[
                DirectiveMissingAttester(
                    branch_code=m.branch_code,
                    branch_name=m.branch_name,
                    employee_number=m.employee_number,
                    display_name=m.display_name,
                    roles=[RoleInfo(name=role) for role in sorted(m.roles)],
                )
                for m in found.missing
            ],
        )

    @strawberry.field(
        description="Members who must attest, in every branch reached (one who holds two required roles counts twice)."
    )
    def required(self) -> int:
        return sum(r.required for r in self.rates)

    @strawberry.field(description="Of those, how many attested.")
    def attested(self) -> int:
        return sum(r.attested for r in self.rates)

    @strawberry.field(description="attested / required over every branch, from 0 to 1.")
    def rate(self) -> float:
        required = self.required()
        return self.attested() / required if required else 1.0
