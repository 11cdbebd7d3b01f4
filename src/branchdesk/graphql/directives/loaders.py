"""Batched reads of directives."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.directives import service as directives
from branchdesk.graphql.directives.types import Directive, DirectiveQuestion
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("directive")
async def directives_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[Directive | None]:
    found = {row.directive.id: row for row in await ctx.call(directives.directives_by_id, ids)}
    return [Directive.of(found[i]) if i in found else None for i in ids]


@loader("directive_successor")
async def successors(ctx: Context, ids: list[uuid.UUID]) -> list[Directive | None]:
    """The version that superseded each directive, as the caller may see it."""
    newer = await ctx.call(directives.next_versions, ids)
    visible = {
        row.directive.id: row for row in await ctx.call(directives.directives_by_id, [d.id for d in newer.values()])
    }
    return [Directive.of(visible[newer[i].id]) if i in newer and newer[i].id in visible else None for i in ids]


@loader("directive_questions")
async def questions(ctx: Context, ids: list[uuid.UUID]) -> list[list[DirectiveQuestion]]:
    """The questions about each directive: head office reads every branch's on the platform session."""
    principal = ctx.principal()
    if not principal.in_head_office:
        found = await ctx.call(directives.questions, None, ids)
    else:
        async with ctx.runtime.db.platform_session() as platform:
            found = await ctx.call(directives.questions, platform, ids)
    return [[DirectiveQuestion.of(q, code) for q, code in found.get(i, [])] for i in ids]
