"""Live updates over graphql-transport-ws, hardened: connection_init refuses a bad token or a branch the
caller is not a member of (4403) and a subscription without a token (4401); heartbeats; notificationAdded
delivers only the subscriber's own, in their branch; a member removed hears nothing more; a token's expiry
closes the socket (4401); and across two API processes on the same database and Redis, a subscriber on
one receives what the other raised, never another branch's."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from branchdesk.api import create_app
from branchdesk.directives import kinds
from branchdesk.directives import service as directives
from branchdesk.notifications import service as notifications
from branchdesk.platform.clock import utcnow
from branchdesk.platform.events import Event, channel
from branchdesk.tenants.models import BranchLevel, Staff
from tests.conftest import add_member, make_settings, onboard, unique_code, unique_employee_number
from tests.graphql.test_websocket import _serve

pytestmark = pytest.mark.external

NOTIFICATION_ADDED = "subscription { notificationAdded { id title kind read } }"
DIRECTIVE_PUBLISHED = "subscription { directivePublished { id titleEn version } }"
PUBLISH = (
    """mutation($i: PublishDirectiveInput!) { publishDirective(input: $i) { directive { id } errors { code } } }"""
)
ASK = """mutation($d: ID!) { askAboutDirective(input: {directiveId: $d, question: "Which form?"}) {
  question { id } errors { code } } }"""
ANSWER = """mutation($q: ID!) { answerDirectiveQuestion(input: {questionId: $q, answer: "Form 7."}) {
  question { answer } errors { code } } }"""


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


@pytest.fixture
async def branch(rt: Any, world: Any) -> Any:
    head = unique_employee_number("L")
    created = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    created.head = head
    created.teller = await add_member(rt, created, ["teller"])
    created.colleague = await add_member(rt, created, ["teller"])
    return created


async def staff_id(rt: Any, number: str) -> uuid.UUID:
    async with rt.db.session(None) as session:
        return (await session.scalar(select(Staff).where(Staff.employee_number == number))).id


async def open_ws(url: str, **payload: str) -> ClientConnection:
    """A socket past connection_init (acknowledged), or ConnectionClosed with the server's code."""
    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "connection_ack", message
    return ws


async def closed_with(ws: ClientConnection, wait: float = 10) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), wait)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


class Subscription:
    def __init__(self, ws: ClientConnection, op: str) -> None:
        self.ws, self.op = ws, op

    @classmethod
    async def start(cls, url: str, token: str, branch: str, query: str) -> Subscription:
        ws = await open_ws(url, Authorization=f"Bearer {token}", **{"X-Branch": branch})
        op = uuid.uuid4().hex
        await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))
        return cls(ws, op)

    async def next(self, wait: float = 20) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
            if message.get("id") == self.op:
                return message

    async def nothing_for(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await self.next(wait=seconds)


async def subscribed(redis: Any, branch_id: uuid.UUID | None, count: int = 1) -> None:
    """Until ``count`` processes listen to the branch's channel in Redis (a subscription starts asynchronously)."""
    for _ in range(400):
        [(_, listeners)] = await redis.pubsub_numsub(channel(branch_id))
        if listeners >= count:
            await asyncio.sleep(0.2)  # the subscriber joined after its process's channel was confirmed
            return
        await asyncio.sleep(0.05)
    raise AssertionError("nobody listening")


async def listening_here(rt: Any, branch_id: uuid.UUID, count: int = 1) -> None:
    for _ in range(400):
        if rt.events.listening(branch_id) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no subscriber listening")


async def notify(rt: Any, branch: Any, staff: list[uuid.UUID], title: str) -> list[uuid.UUID]:
    async with rt.db.session(branch.id) as session:
        return await notifications.notify(session, branch.id, staff, kind=kinds.PUBLISHED, key=title, title=title)


async def remove_member(api: Any, world: Any, branch: Any, number: str) -> None:
    """Head office removes the member from the branch."""
    remove = """mutation($n: String!, $b: String!) { removeMembership(input: {employeeNumber: $n, branchCode: $b}) {
      errors { code } } }"""
    removed = await api.post(
        remove, {"n": number, "b": branch.code}, token=await api.token(world.ho_admin), branch=world.head_office.code
    )
    assert removed["data"]["removeMembership"]["errors"] == [], removed


# --- connecting -----------------------------------------------------------------------------------


async def test_a_subscription_without_a_token_is_refused_with_4401(live):
    ws = await open_ws(live)  # anonymous: public operations (sign-in) only
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": NOTIFICATION_ADDED}}))
    assert await closed_with(ws) == 4401


@pytest.mark.parametrize("case", ["bad token", "not a member", "unknown branch"])
async def test_connection_init_is_refused_with_4403(api, live, branch, world, case):
    token = "not.a.token" if case == "bad token" else await api.token(branch.teller)
    code = {"not a member": world.branch_b.code, "unknown branch": "NOPE"}.get(case, branch.code)
    ws = await connect(live, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload = {"Authorization": f"Bearer {token}", "X-Branch": code}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert await closed_with(ws) == 4403


async def test_heartbeats_are_answered(api, live, branch):
    ws = await open_ws(live, Authorization=f"Bearer {await api.token(branch.teller)}", **{"X-Branch": branch.code})
    await ws.send(json.dumps({"type": "ping", "payload": {"at": 1}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "pong"}
    await ws.close()


# --- delivering -----------------------------------------------------------------------------------


async def test_notification_added_delivers_only_the_subscribers_own_in_their_branch(api, rt, live, branch, world):
    # given a teller subscribed in their branch, and a member of both this branch and B subscribed in B
    both = await add_member(rt, world.branch_b, ["teller"])
    await add_member(rt, branch, ["teller"], both)
    mine = await Subscription.start(live, await api.token(branch.teller), branch.code, NOTIFICATION_ADDED)
    elsewhere = await Subscription.start(live, await api.token(both), world.branch_b.code, NOTIFICATION_ADDED)
    await listening_here(rt, branch.id)
    await listening_here(rt, world.branch_b.id)

    # when a colleague, the member of both (in this branch) and the teller are notified here
    teller, colleague, other = [await staff_id(rt, n) for n in (branch.teller, branch.colleague, both)]
    await notify(rt, branch, [colleague, other], "not yours")
    [own] = await notify(rt, branch, [teller], "yours")

    # then the teller hears their own only, and the subscriber in B hears nothing of this branch
    message = await mine.next()
    assert message["type"] == "next" and message["payload"]["data"]["notificationAdded"] == {
        "id": message["payload"]["data"]["notificationAdded"]["id"],
        "title": "yours",
        "kind": "DIRECTIVE_PUBLISHED",
        "read": False,
    }
    assert base64.b64decode(message["payload"]["data"]["notificationAdded"]["id"]).decode() == f"Notification:{own}"
    await elsewhere.nothing_for(1.5)
    await mine.nothing_for(0.5)
    await mine.ws.close()
    await elsewhere.ws.close()


async def test_a_member_removed_while_subscribed_hears_nothing_more(api, rt, live, branch, world):
    # given a teller subscribed in their branch
    mine = await Subscription.start(live, await api.token(branch.teller), branch.code, NOTIFICATION_ADDED)
    await listening_here(rt, branch.id)

    # when head office removes them from the branch, and a notification for them is raised there
    await remove_member(api, world, branch, branch.teller)
    await notify(rt, branch, [await staff_id(rt, branch.teller)], "after leaving")

    # then the subscription ends with a refusal, and the notification is not shown
    message = await mine.next()
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
    assert errors and "after leaving" not in json.dumps(message)
    await mine.ws.close()


async def test_a_tokens_expiry_closes_an_open_subscription_with_4401(rt, live, branch):
    staff = await staff_id(rt, branch.teller)
    token, _ = rt.keys.issue_access_token(staff, ttl_seconds=2)
    mine = await Subscription.start(live, token, branch.code, NOTIFICATION_ADDED)
    assert await closed_with(mine.ws, wait=15) == 4401


# --- two API processes ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def two_apis(servers: Any) -> Iterator[list[str]]:
    """Two API processes (uvicorn, each its own interpreter) on the tests' database and Redis."""
    env = {
        **os.environ,
        "BRANCHDESK_DATABASE_URL": servers.admin_url,
        "BRANCHDESK_REDIS_URL": servers.redis_url,
        "BRANCHDESK_DATA_DIR": str(servers.data_dir),
        "BRANCHDESK_WORKER_IN_PROCESS": "false",
        "BRANCHDESK_SECOND_FACTOR_ENFORCED": "false",
    }
    ports = [_free_port(), _free_port()]
    command = [sys.executable, "-m", "uvicorn", "--factory", "branchdesk.api:create_app", "--log-level", "warning"]
    logs = [open(servers.data_dir / f"api-{port}.log", "wb") for port in ports]  # noqa: SIM115 - closed below
    processes = [
        subprocess.Popen([*command, "--port", str(port)], env=env, stderr=log)
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            for _ in range(600):
                assert process.poll() is None, (servers.data_dir / f"api-{port}.log").read_text()[-2000:]
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                raise AssertionError("an API process did not start")
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for port in ports:
            shown = (servers.data_dir / f"api-{port}.log").read_text()
            if "Traceback" in shown:
                print(shown[-6000:])
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        for log in logs:
            log.close()


async def test_a_subscriber_on_one_process_hears_what_another_raised_and_never_another_branchs(
    api, rt, two_apis, branch, world
):
    one, other = two_apis
    on_one = f"ws://{one}/graphql"
    teller = await api.token(branch.teller)
    ho = await api.token(world.ho_admin)
    # given, on process one, the teller subscribed to directives and to their notifications, and a teller
    # of branch B subscribed to directives
    directives_here = await Subscription.start(on_one, teller, branch.code, DIRECTIVE_PUBLISHED)
    inbox_here = await Subscription.start(on_one, teller, branch.code, NOTIFICATION_ADDED)
    theirs = await add_member(rt, world.branch_b, ["teller"])
    directives_in_b = await Subscription.start(
        on_one, await api.token(theirs), world.branch_b.code, DIRECTIVE_PUBLISHED
    )
    await subscribed(rt.redis, branch.id)
    await subscribed(rt.redis, world.branch_b.id)

    # when head office publishes a directive to this branch only, through process two
    async with httpx.AsyncClient(base_url=f"http://{other}") as two:
        content = directive_to(branch, "Across processes", title_zh="跨进程")
        headers = {"Authorization": f"Bearer {ho}", "X-Branch": world.head_office.code}
        sent = await two.post(
            "/graphql", json={"query": PUBLISH, "variables": {"i": {"content": content}}}, headers=headers
        )
        assert sent.json().get("data"), sent.json()
        published = sent.json()["data"]["publishDirective"]
        assert published["errors"] == [], sent.json()

        # then the teller's subscriber on process one receives it; branch B's hears nothing
        heard = await directives_here.next()
        assert heard["type"] == "next" and heard["payload"].get("data"), heard
        assert heard["payload"]["data"]["directivePublished"] == {
            "id": published["directive"]["id"],
            "titleEn": "Across processes",
            "version": 1,
        }
        await directives_in_b.nothing_for(1.5)

        # and when the teller asks about it here and head office answers through process two
        asked = await api.post(ASK, {"d": published["directive"]["id"]}, token=teller, branch=branch.code)
        question = asked["data"]["askAboutDirective"]["question"]["id"]
        answer = await two.post("/graphql", json={"query": ANSWER, "variables": {"q": question}}, headers=headers)
        assert answer.json()["data"]["answerDirectiveQuestion"]["errors"] == []

    # then the answer's notification reaches the teller's inbox subscription on process one
    kinds_heard = []
    while "DIRECTIVE_ANSWERED" not in kinds_heard:  # the directive's own notice may come first (a worker runs)
        kinds_heard.append((await inbox_here.next())["payload"]["data"]["notificationAdded"]["kind"])
    assert set(kinds_heard) <= {"DIRECTIVE_PUBLISHED", "DIRECTIVE_ANSWERED"}
    for subscription in (directives_here, inbox_here, directives_in_b):
        await subscription.ws.close()


def directive_to(branch: Any, title: str, *, title_zh: str | None = None) -> dict[str, Any]:
    """A directive for the branch's tellers, to attest within two days."""
    return {
        "titleZh": title_zh or title,
        "titleEn": title,
        "bodyZh": "正文",
        "bodyEn": "Body",
        "category": "OPERATIONS",
        "effectiveOn": date.today().isoformat(),
        "deadline": (utcnow() + timedelta(days=2)).isoformat(),
        "roles": ["teller"],
        "target": "LIST",
        "branches": [branch.code],
    }


async def _publish_here(api: Any, world: Any, branch: Any, title: str) -> str:
    content = directive_to(branch, title)
    sent = await api.post(
        PUBLISH, {"i": {"content": content}}, token=await api.token(world.ho_admin), branch=world.head_office.code
    )
    assert sent["data"]["publishDirective"]["errors"] == [], sent
    return str(sent["data"]["publishDirective"]["directive"]["id"])


async def _delivery_statements(rt: Any, subscriptions: list[Subscription], announce: Any) -> tuple[int, list[Any]]:
    """The statements this process sends while one event reaches every subscription, and what each got."""
    from tests.conftest import SqlCounter

    with SqlCounter(rt) as counter:
        await announce()
        heard = [await s.next() for s in subscriptions]
    return counter.count, heard


async def test_one_event_reaches_many_subscribers_in_the_statements_it_takes_for_one(api, rt, live, branch, world):
    # given a directive published to the branch, and tellers subscribed to directives on one process: two,
    # then twelve
    directive = await _publish_here(api, world, branch, "Fan-out")
    raw_id = base64.b64decode(directive).decode().split(":", 1)[1]
    tellers = [branch.teller, branch.colleague] + [await add_member(rt, branch, ["teller"]) for _ in range(10)]
    tokens = [await api.token(t) for t in tellers]

    async def announce() -> None:  # the directive's announcement again, as the publishing process sends it
        await rt.events.publish(Event(directives.PUBLISHED, branch.id, {"id": raw_id}))

    # (every third asks for other fields: each document gets its own answer, though they share one read)
    other = "subscription { directivePublished { titleZh version id } }"
    counts = []
    for size in (2, 12):
        subscriptions = [
            await Subscription.start(live, t, branch.code, other if i % 3 == 2 else DIRECTIVE_PUBLISHED)
            for i, t in enumerate(tokens[:size])
        ]
        await listening_here(rt, branch.id, size)
        # when the event is announced
        count, heard = await _delivery_statements(rt, subscriptions, announce)
        # then every subscriber gets the directive, with the fields they asked for
        answers = [h["payload"]["data"]["directivePublished"] for h in heard]
        assert answers == [
            {"titleZh": "Fan-out", "version": 1, "id": directive}
            if i % 3 == 2
            else {"id": directive, "titleEn": "Fan-out", "version": 1}
            for i in range(size)
        ], heard
        counts.append(count)
        for subscription in subscriptions:
            await subscription.ws.close()
        for _ in range(100):
            if rt.events.listening(branch.id) == 0:
                break
            await asyncio.sleep(0.05)
    # and twelve subscribers cost what two do: the binding, everyone's standing in one statement, and one
    # read of the directive
    assert counts == [3, 3], counts


async def test_a_member_removed_among_many_subscribers_is_refused_and_the_others_still_hear(
    api, rt, live, branch, world
):
    # given three tellers subscribed to directives on one process
    third = await add_member(rt, branch, ["teller"])
    tellers = [branch.teller, branch.colleague, third]
    subscriptions = [
        await Subscription.start(live, await api.token(t), branch.code, DIRECTIVE_PUBLISHED) for t in tellers
    ]
    await listening_here(rt, branch.id, 3)

    # when head office removes the second from the branch, then publishes a directive to it
    await remove_member(api, world, branch, branch.colleague)
    directive = await _publish_here(api, world, branch, "After a removal")

    # then the two members receive it, and the removed one's subscription ends refused, without it
    first, refused, last = [await s.next() for s in subscriptions]
    for heard in (first, last):
        assert heard["payload"]["data"]["directivePublished"]["id"] == directive, heard
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"].get("errors")
    assert errors and "After a removal" not in json.dumps(refused), refused
    for subscription in subscriptions:
        await subscription.ws.close()


async def test_an_event_still_reaches_every_subscriber_after_the_server_drops_pooled_connections(
    api, rt, live, branch, world
):
    from tests.conftest import _admin_execute

    # given two tellers subscribed to directives, and a directive they both received
    subscriptions = [
        await Subscription.start(live, await api.token(t), branch.code, DIRECTIVE_PUBLISHED)
        for t in (branch.teller, branch.colleague)
    ]
    await listening_here(rt, branch.id, 2)
    directive = await _publish_here(api, world, branch, "Before the drop")
    for subscription in subscriptions:
        assert (await subscription.next())["payload"]["data"]["directivePublished"]["id"] == directive

    # when PostgreSQL ends every connection of the application role, and the directive is announced again
    await _admin_execute(
        rt.endpoints.admin_url,
        f"select pg_terminate_backend(pid) from pg_stat_activity where usename = '{rt.endpoints.roles.app}'",
    )
    raw_id = base64.b64decode(directive).decode().split(":", 1)[1]
    await rt.events.publish(Event(directives.PUBLISHED, branch.id, {"id": raw_id}))

    # then both still receive it: the round entered the branch again on a new connection
    for subscription in subscriptions:
        heard = await subscription.next()
        assert heard["type"] == "next" and heard["payload"]["data"]["directivePublished"]["id"] == directive, heard
        await subscription.ws.close()
