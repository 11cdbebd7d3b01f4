"""The inbox over GraphQL: the caller's own notifications in the active branch, paged both ways so a
client that reconnects reads what it missed; unread count; marking read only one's own; preferences
applied when a notification is raised."""

from __future__ import annotations

import uuid

import pytest

from branchdesk.directives import kinds
from branchdesk.notifications import service as notifications
from tests.conftest import add_member
from tests.notifications.test_notify import listening, staff_id

pytestmark = pytest.mark.external

INBOX = """query($first: Int, $after: String, $last: Int, $before: String, $unread: Boolean!,
                 $order: NotificationOrder) {
  notifications(first: $first, after: $after, last: $last, before: $before, unreadOnly: $unread, orderBy: $order) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
    edges { cursor node { id title kind kindLabel read readAt subjectType } } }
  unreadNotificationCount }"""
MARK = """mutation($ids: [ID!]!) { markNotificationsRead(input: {ids: $ids}) {
  notifications { id read readAt } unreadNotificationCount errors { code field } } }"""
MARK_ALL = "mutation { markAllNotificationsRead { marked unreadNotificationCount errors { code } } }"
PREFER = """mutation($i: SetNotificationPreferenceInput!) { setNotificationPreference(input: $i) {
  preference { kind inbox live emailDigest } errors { code } } }"""
PREFERENCES = "{ notificationPreferences { kind kindLabel inbox live emailDigest } }"


async def raise_for(rt, branch, staff: uuid.UUID, count: int, prefix: str = "n") -> list[uuid.UUID]:
    """``count`` notifications for ``staff``, one transaction each (ids are time-ordered)."""
    made = []
    for n in range(count):
        async with rt.db.session(branch.id) as session:
            made += await notifications.notify(
                session, branch.id, [staff], kind=kinds.PUBLISHED, key=f"{prefix}{n}", title=f"{prefix} {n}"
            )
    return made


def titles(body: dict) -> list[str]:
    return [e["node"]["title"] for e in body["data"]["notifications"]["edges"]]


async def inbox(api, token: str, branch: str, **given) -> dict:
    variables = {"unread": False, **given}
    body = await api.post(INBOX, variables, token=token, branch=branch)
    assert "errors" not in body, body
    return body


async def test_a_reconnecting_client_reads_what_it_missed_after_its_cursor(api, rt, world):
    # given a teller with three notifications, who has seen the newest
    number = await add_member(rt, world.branch_a, ["teller"])
    teller = await staff_id(rt, number)
    await raise_for(rt, world.branch_a, teller, 3, "before")
    token = await api.token(number)
    seen = await inbox(api, token, world.branch_a.code, first=2)
    assert titles(seen) == ["before 2", "before 1"]
    assert seen["data"]["notifications"]["totalCount"] == 3
    assert seen["data"]["notifications"]["pageInfo"]["hasNextPage"] is True
    newest = seen["data"]["notifications"]["edges"][0]["cursor"]

    # when two more arrive while it is away, and it asks for what came after its newest cursor
    await raise_for(rt, world.branch_a, teller, 2, "missed")
    caught_up = await inbox(api, token, world.branch_a.code, first=10, after=newest, order={"direction": "ASC"})
    newest_first = await inbox(api, token, world.branch_a.code, last=10, before=newest)

    # then it gets exactly those two, oldest first; newest first with `before` alike
    assert titles(caught_up) == ["missed 0", "missed 1"]
    assert titles(newest_first) == ["missed 1", "missed 0"]
    assert caught_up["data"]["notifications"]["pageInfo"]["hasPreviousPage"] is True
    older = await inbox(
        api, token, world.branch_a.code, first=10, after=seen["data"]["notifications"]["pageInfo"]["endCursor"]
    )
    assert titles(older) == ["before 0"]
    node = caught_up["data"]["notifications"]["edges"][0]["node"]
    assert node["kind"] == "DIRECTIVE_PUBLISHED" and node["kindLabel"] == "A head-office directive to attest"
    assert node["read"] is False and caught_up["data"]["unreadNotificationCount"] == 5


async def test_marking_read_counts_down_and_only_ever_touches_ones_own(api, rt, world):
    # given a teller and a colleague with notifications of their own
    number, other = await add_member(rt, world.branch_a, ["teller"]), await add_member(rt, world.branch_a, ["teller"])
    await raise_for(rt, world.branch_a, await staff_id(rt, number), 3)
    await raise_for(rt, world.branch_a, await staff_id(rt, other), 1)
    token, other_token = await api.token(number), await api.token(other)
    mine = await inbox(api, token, world.branch_a.code)
    theirs = await inbox(api, other_token, world.branch_a.code)
    [first, second, third] = [e["node"]["id"] for e in mine["data"]["notifications"]["edges"]]
    [colleagues] = [e["node"]["id"] for e in theirs["data"]["notifications"]["edges"]]

    # when the teller marks one of theirs together with the colleague's
    refused = await api.post(MARK, {"ids": [first, colleagues]}, token=token, branch=world.branch_a.code)
    marked = await api.post(MARK, {"ids": [first, second]}, token=token, branch=world.branch_a.code)

    # then the mixed request is "not found" and marks nothing; their own are marked and counted down
    assert refused["data"]["markNotificationsRead"]["errors"] == [{"code": "NOT_FOUND", "field": "ids"}]
    assert refused["data"]["markNotificationsRead"]["notifications"] is None
    payload = marked["data"]["markNotificationsRead"]
    assert payload["errors"] == [] and [n["id"] for n in payload["notifications"]] == [first, second]
    assert all(n["read"] and n["readAt"] for n in payload["notifications"])
    assert payload["unreadNotificationCount"] == 1
    unread = await inbox(api, token, world.branch_a.code, unread=True)
    assert [e["node"]["id"] for e in unread["data"]["notifications"]["edges"]] == [third]
    assert unread["data"]["notifications"]["totalCount"] == 1
    assert (await inbox(api, other_token, world.branch_a.code))["data"]["unreadNotificationCount"] == 1

    # and marking all reads the rest, once
    everything = await api.post(MARK_ALL, token=token, branch=world.branch_a.code)
    again = await api.post(MARK_ALL, token=token, branch=world.branch_a.code)
    assert everything["data"]["markAllNotificationsRead"] == {"marked": 1, "unreadNotificationCount": 0, "errors": []}
    assert again["data"]["markAllNotificationsRead"]["marked"] == 0


async def test_the_inbox_is_per_branch(api, rt, world):
    # given a member of both branches with a notification in branch A
    number = await add_member(rt, world.branch_a, ["teller"])
    await add_member(rt, world.branch_b, ["teller"], number)
    await raise_for(rt, world.branch_a, await staff_id(rt, number), 1)
    token = await api.token(number)

    # when they read their inbox in branch B
    in_b = await inbox(api, token, world.branch_b.code)
    in_a = await inbox(api, token, world.branch_a.code)

    # then it is empty there and holds the notification in A
    assert titles(in_b) == [] and in_b["data"]["unreadNotificationCount"] == 0
    assert titles(in_a) == ["n 0"]


async def test_preferences_decide_what_is_stored_and_what_is_pushed(api, rt, world):
    # given a teller who keeps reminders out of the inbox and published directives off live
    number = await add_member(rt, world.branch_a, ["teller"])
    teller = await staff_id(rt, number)
    token = await api.token(number)
    off_inbox = await api.post(
        PREFER, {"i": {"kind": "DIRECTIVE_REMINDER", "inbox": False}}, token=token, branch=world.branch_a.code
    )
    off_live = await api.post(
        PREFER, {"i": {"kind": "DIRECTIVE_PUBLISHED", "live": False}}, token=token, branch=world.branch_a.code
    )
    assert off_inbox["data"]["setNotificationPreference"] == {
        "preference": {"kind": "DIRECTIVE_REMINDER", "inbox": False, "live": True, "emailDigest": True},
        "errors": [],
    }
    assert off_live["data"]["setNotificationPreference"]["preference"]["live"] is False

    # when both kinds are raised for them and for the branch head
    head = await staff_id(rt, world.head_a)
    heard = await listening(rt, world.branch_a.id)
    async with rt.db.session(world.branch_a.id) as session:
        reminded = await notifications.notify(
            session, world.branch_a.id, [teller, head], kind=kinds.REMINDER, key=f"r-{teller}", title="Soon"
        )
        published = await notifications.notify(
            session, world.branch_a.id, [teller], kind=kinds.PUBLISHED, key=f"p-{teller}", title="New"
        )
    events = await heard.settle(2)

    # then the reminder is stored for the head only, the directive is stored for the teller but not pushed
    assert len(reminded) == 1 and len(published) == 1
    assert titles(await inbox(api, token, world.branch_a.code)) == ["New"]
    pushed_to_teller = [e for e in events if e.data["staff"] == str(teller)]
    assert pushed_to_teller == []
    assert [e.data["kind"] for e in events if e.data["id"] == str(reminded[0])] == [kinds.REMINDER]
    listed = (await api.post(PREFERENCES, token=token, branch=world.branch_a.code))["data"]["notificationPreferences"]
    by_kind = {p["kind"]: p for p in listed}
    assert by_kind["DIRECTIVE_REMINDER"]["inbox"] is False and by_kind["DIRECTIVE_PUBLISHED"]["live"] is False
    assert by_kind["DIRECTIVE_ESCALATED"] == {
        "kind": "DIRECTIVE_ESCALATED",
        "kindLabel": "Staff missed a directive's attestation deadline",
        "inbox": True,
        "live": True,
        "emailDigest": True,
    }


def test_every_role_reads_its_own_inbox():
    from branchdesk.notifications.permissions import EVERYONE as INBOX_ROLES
    from branchdesk.rbac.permissions import EVERYONE

    assert set(INBOX_ROLES) == set(EVERYONE)
