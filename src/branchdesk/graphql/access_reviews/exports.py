"""File downloads beside GraphQL, with the same sign-in (Bearer token), branch (X-Branch) and checks."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from branchdesk.access_reviews import service as reviews
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.request_context import request_context
from branchdesk.platform.errors import DomainError, NotFound, error_body

_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "BRANCH_ACCESS_DENIED": 403,
    "BRANCH_SUSPENDED": 403,
    "NOT_FOUND": 404,
}


def _review_id(value: str) -> uuid.UUID:
    return node_uuid(value, "AccessReview", NotFound("Access review", "权限复核", field="id"))


async def access_review_csv(request: Request) -> Response:
    """``GET /exports/access-reviews/{id}.csv``: the review's report, ``id`` being its GraphQL id."""
    ctx = request_context(request)
    try:
        await ctx.start()
        review_id = _review_id(request.path_params["review_id"])
        text = await ctx.call(reviews.export_csv, review_id, ctx.locale)
    except DomainError as exc:
        await ctx.finish(commit=False)
        body = error_body(exc.message(ctx.locale), exc.code, field=exc.field, request_id=ctx.request_id)
        return JSONResponse(body, status_code=_STATUS.get(exc.code, 400))
    except BaseException:
        await ctx.finish(commit=False)
        raise
    await ctx.finish(commit=True)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="access-review-{review_id}.csv"',
            "Cache-Control": "no-store",
        },
    )
