"""``GET /care/feeds/{branch}/{staff}.ics``: a staff member's open follow-ups as an iCalendar feed
(RFC 5545), for the calendar app on their phone or desk. Calendar apps send no Bearer token, so the link
carries its own authority: an expiry and a keyed-hash signature over branch, staff member and expiry
(``care.workbench.feed_link`` issues it through the ``myCareCalendar`` query). It shows the follow-up's
title, client number and contact window, never the client's name."""

from __future__ import annotations

import uuid
from datetime import datetime

from icalendar import Calendar, Event
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from branchdesk.access.unit_of_work import system_work
from branchdesk.care import errors, workbench
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import DataKeyRing
from branchdesk.platform.errors import DomainError, error_body

PRODUCT = "-//Branchdesk//Care follow-ups//ZH"
# RFC 5545 PRIORITY: 1 highest … 9 lowest.
ICAL_PRIORITY = {1: 1, 2: 3, 3: 5, 4: 9}


def render(entries: list[workbench.FeedEntry], stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "客户跟进 / Care follow-ups")
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.id}@branchdesk")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", f"{entry.title} · {entry.client_number}")
        event.add("categories", [entry.channel])
        event.add("priority", ICAL_PRIORITY.get(entry.priority, 5))
        calendar.add_component(event)
    rendered: bytes = calendar.to_ical()
    return rendered


def _refused(exc: DomainError, status: int) -> JSONResponse:
    return JSONResponse(error_body(exc.message("en"), exc.code, field=exc.field), status_code=status)


async def care_calendar_feed(request: Request) -> Response:
    rt = request.app.state.runtime
    bad_link = DomainError(errors.FEED_LINK, field="signature")
    try:
        branch_id = uuid.UUID(request.path_params["branch_id"])
        staff_id = uuid.UUID(request.path_params["staff_id"])
        expires = int(request.query_params["expires"])
        signature = request.query_params["signature"][:100]
    except (KeyError, ValueError):
        return _refused(bad_link, 404)
    try:
        workbench.check_feed_link(DataKeyRing.from_settings(rt.settings), branch_id, staff_id, expires, signature)
    except DomainError as exc:
        return _refused(exc, 403)
    async with system_work(rt.db, "care calendar feed", branch_id) as (session, system):
        entries = await workbench.feed(session, system, staff_id)
    return Response(
        render(entries, utcnow()),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="follow-ups.ics"'},
    )
