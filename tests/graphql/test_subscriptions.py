"""Subscriptions over graphql-transport-ws: ``policyChanged`` fans out through Redis, so a change made in
another process reaches a subscriber here; a subscriber of another branch hears nothing; every event is
checked against the policy as it is then."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from branchdesk.api import create_app
from branchdesk.platform.events import Event, channel
from branchdesk.rbac.events import POLICY_CHANGED as POLICY_CHANGED_TOPIC
from tests.conftest import add_member, make_settings, onboard, unique_code, unique_employee_number
from tests.graphql.test_websocket import _serve

pytestmark = pytest.mark.external
POLICY_CHANGED = "subscription { policyChanged { branchCode kind changeId changedAt } }"
GRANT = """mutation($r: String!) { grantRolePermission(input: {role: $r, permission: "client:read"})
           { errors { code } } }"""
REVOKE_AUDIT = """mutation { revokeRolePermission(input: {role: "compliance_officer", permission: "policy:audit"})
                  { errors { code } } }"""

# Run in another process: the change a second API process or a worker would make, committed there.
CHANGE_ELSEWHERE = """
import asyncio, sys, uuid
from branchdesk.access.unit_of_work import system_work
from branchdesk.platform.settings import Settings
from branchdesk.rbac import service
from branchdesk.runtime import runtime

async def main():
    async with runtime(Settings(), run_migrations=False) as rt:
        async with system_work(rt.db, "another process", uuid.UUID(sys.argv[1])) as (session, by):
            await service.set_permission(session, by, "teller", "client.card:read", False, "from elsewhere")

asyncio.run(main())
"""


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


@pytest.fixture
async def branch(rt: Any, world: Any) -> Any:
    """A fresh branch with its head and a compliance officer."""
    head = unique_employee_number("S")
    created = await onboard(rt, unique_code(), world.head_office.level.TIER1_BRANCH, world.head_office.code, head)
    created.head = head
    created.officer = await add_member(rt, created, ["compliance_officer"])
    created.teller = await add_member(rt, created, ["teller"])
    return created


class Subscriber:
    def __init__(self, ws: ClientConnection, op: str) -> None:
        self.ws, self.op = ws, op

    async def next(self, wait: float = 20) -> dict[str, Any]:
        """The next message of the subscription: ``next`` (its payload), ``error`` or ``complete``."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
            if message.get("id") == self.op:
                return message


async def subscribe(
    api: Any, url: str, employee_number: str, branch_code: str, *, token: str | None = None, **params: str
) -> Subscriber:
    token = token or await api.token(employee_number)
    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload = {"Authorization": f"Bearer {token}", "X-Branch": branch_code, **params}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    op = uuid.uuid4().hex
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": POLICY_CHANGED}}))
    return Subscriber(ws, op)


async def listening(rt: Any, branch_id: uuid.UUID, count: int = 1) -> None:
    """Until ``count`` subscribers of this process listen to the branch, its channel subscribed in Redis
    (a subscription starts asynchronously)."""
    for _ in range(400):
        [(_, subscribed)] = await rt.redis.pubsub_numsub(channel(branch_id))
        if subscribed >= 1 and rt.events.listening(branch_id) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no subscriber listening")


async def test_a_change_committed_in_another_process_reaches_the_subscriber(api, rt, servers, live, branch):
    subscriber = await subscribe(api, live, branch.officer, branch.code)
    await listening(rt, branch.id)

    env = {
        **os.environ,
        "BRANCHDESK_DATABASE_URL": servers.admin_url,
        "BRANCHDESK_REDIS_URL": servers.redis_url,
        "BRANCHDESK_DATA_DIR": str(servers.data_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHANGE_ELSEWHERE, str(branch.id), env=env, stderr=subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-2000:]
    message = await subscriber.next()

    assert message["type"] == "next" and "errors" not in message["payload"], message
    event = message["payload"]["data"]["policyChanged"]
    assert event["branchCode"] == branch.code and event["kind"] == "PERMISSION"
    assert base64.b64decode(event["changeId"]).decode().startswith("PolicyChange:")
    change = await api.post(
        "query($id: ID!) { node(id: $id) { ... on PolicyChange { permission reason } } }",
        {"id": event["changeId"]},
        token=await api.token(branch.officer),
        branch=branch.code,
    )
    assert change["data"]["node"] == {"permission": "client.card:read", "reason": "from elsewhere"}
    await subscriber.ws.close()


async def test_a_subscriber_of_another_branch_hears_nothing(api, rt, live, branch, world):
    head_b = unique_employee_number("S")
    other = await onboard(rt, unique_code(), world.head_office.level.TIER1_BRANCH, world.head_office.code, head_b)
    officer_b = await add_member(rt, other, ["compliance_officer"])
    ours = await subscribe(api, live, branch.officer, branch.code)
    theirs = await subscribe(api, live, officer_b, other.code)
    await listening(rt, branch.id)
    await listening(rt, other.id)

    granted = await api.post(GRANT, {"r": "it_support"}, token=await api.token(branch.head), branch=branch.code)
    assert granted["data"]["grantRolePermission"]["errors"] == []

    assert (await ours.next())["payload"]["data"]["policyChanged"]["branchCode"] == branch.code
    with pytest.raises(TimeoutError):
        await theirs.next(wait=1.0)
    await ours.ws.close()
    await theirs.ws.close()


async def test_each_event_is_checked_against_the_policy_as_it_is_then(api, rt, live, branch):
    subscriber = await subscribe(api, live, branch.officer, branch.code, **{"Accept-Language": "zh-CN"})
    await listening(rt, branch.id)
    head = await api.token(branch.head)

    # when the branch takes policy:audit away from compliance officers, the change itself is not shown
    revoked = await api.post(REVOKE_AUDIT, token=head, branch=branch.code)
    assert revoked["data"]["revokeRolePermission"]["errors"] == []
    message = await subscriber.next()

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert errors[0]["message"].startswith("您无权") and errors[0]["extensions"]["requestId"]
    assert message["type"] == "error" or message["payload"].get("data") is None
    await subscriber.ws.close()


async def test_a_subscriber_without_the_permission_is_refused_at_once(api, live, branch):
    subscriber = await subscribe(api, live, branch.teller, branch.code)

    message = await subscriber.next()

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    await subscriber.ws.close()


async def test_fifty_subscribers_in_one_process_share_one_redis_connection(api, rt, live, branch):
    token = await api.token(branch.officer)
    subscribers = await asyncio.gather(
        *(subscribe(api, live, branch.officer, branch.code, token=token) for _ in range(50))
    )
    await listening(rt, branch.id, count=50)

    listener_connections = [c for c in await rt.redis.client_list() if c.get("name") == rt.events.listener_name]
    [(_, on_the_channel)] = await rt.redis.pubsub_numsub(channel(branch.id))
    granted = await api.post(GRANT, {"r": "it_support"}, token=await api.token(branch.head), branch=branch.code)
    assert granted["data"]["grantRolePermission"]["errors"] == []
    heard = await asyncio.gather(*(s.next() for s in subscribers))

    assert len(listener_connections) == 1 and on_the_channel == 1
    assert all(m["payload"]["data"]["policyChanged"]["kind"] == "PERMISSION" for m in heard), heard[0]
    await asyncio.gather(*(s.ws.close() for s in subscribers))


async def test_a_subscription_outlives_its_processs_redis_connection_being_killed(api, rt, live, branch):
    subscriber = await subscribe(api, live, branch.officer, branch.code)
    await listening(rt, branch.id)
    [killed] = [c for c in await rt.redis.client_list() if c.get("name") == rt.events.listener_name]

    await rt.redis.client_kill_filter(_id=killed["id"])
    for _ in range(300):  # the listener reconnects (0.5 s back-off) and subscribes again
        [now] = [c for c in await rt.redis.client_list() if c.get("name") == rt.events.listener_name] or [killed]
        [(_, subscribed)] = await rt.redis.pubsub_numsub(channel(branch.id))
        if now["id"] != killed["id"] and subscribed == 1:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the listener did not reconnect")
    granted = await api.post(GRANT, {"r": "it_support"}, token=await api.token(branch.head), branch=branch.code)
    assert granted["data"]["grantRolePermission"]["errors"] == []
    message = await subscriber.next()

    assert message["type"] == "next" and message["payload"]["data"]["policyChanged"]["kind"] == "PERMISSION"
    await subscriber.ws.close()


async def test_a_subscriber_that_falls_behind_is_ended_with_a_code_it_can_act_on(api, rt, live, branch, monkeypatch):
    monkeypatch.setattr(rt.events, "queue_size", 1)
    subscriber = await subscribe(api, live, branch.officer, branch.code, **{"Accept-Language": "zh-CN"})
    await listening(rt, branch.id)

    async with rt.redis.pipeline(transaction=False) as burst:  # 30 events at once: each is re-authorised
        for _ in range(30):  # (a statement or two) before it is sent, so the queue of one overflows
            burst.publish(channel(branch.id), Event(POLICY_CHANGED_TOPIC, branch.id, {"kind": "roles"}).encode())
        await burst.execute()
    while (message := await subscriber.next())["type"] == "next" and "errors" not in message["payload"]:
        pass  # events delivered before it fell behind

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["SUBSCRIBER_TOO_SLOW"]
    assert errors[0]["message"].startswith("事件到达") and errors[0]["extensions"]["requestId"]
    await subscriber.ws.close()
