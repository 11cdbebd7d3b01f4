"""GraphQL documents and small helpers shared by the credentials tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from strawberry import relay

ACTIVATE = (
    "mutation($i: ActivateAccountInput!) { activateAccount(input: $i) { activated errors { code field message } } }"
)
ISSUE = (
    "mutation($i: IssueActivationCodeInput!) { issueActivationCode(input: $i) {"
    " activationCode { code expiresAt } staff { employeeNumber } errors { code field message } } }"
)
STATUS = "query($s: ID!) { activationStatus(staffId: $s) { status hasPassword issuedBy } }"
CHANGE = (
    "mutation($i: ChangePasswordInput!) { changePassword(input: $i) {"
    " changed sessionsEnded errors { code field message } } }"
)
SESSIONS = "{ me { sessions { id createdAt lastUsedAt userAgent address current } } }"
END = "mutation($i: EndSessionInput!) { endSession(input: $i) { sessionsEnded errors { code field message } } }"
END_OTHERS = "mutation { endOtherSessions { sessionsEnded errors { code field message } } }"
CONTACT = (
    "mutation($i: UpdateMyContactInput!) { updateMyContact(input: $i) { email phone errors { code field message } } }"
)
REFRESH = (
    "mutation($i: RefreshTokenInput!) { refreshSession(input: $i) {"
    " accessToken refreshToken errors { code field message } } }"
)
NEW_PASSWORD = "Teal-lantern-harbour-7"


def staff_gid(staff_id: Any) -> str:
    return str(relay.GlobalID("StaffMember", str(staff_id)))


def claims_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def activate(api: Any, employee_number: str, code: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    body = await api.post(ACTIVATE, {"i": {"employeeNumber": employee_number, "code": code, "newPassword": password}})
    return body["data"]["activateAccount"]


async def refresh(api: Any, refresh_token: str, user_agent: str | None = None) -> dict[str, Any]:
    headers = {"User-Agent": user_agent} if user_agent else None
    body = await api.post(REFRESH, {"i": {"refreshToken": refresh_token}}, headers=headers)
    return body["data"]["refreshSession"]


async def sign_in_from(api: Any, employee_number: str, password: str, user_agent: str) -> dict[str, Any]:
    body = await api.post(
        "mutation($i: SignInInput!) { signIn(input: $i) { accessToken refreshToken errors { code } } }",
        {"i": {"employeeNumber": employee_number, "password": password}},
        headers={"User-Agent": user_agent},
    )
    signed_in = body["data"]["signIn"]
    assert signed_in["errors"] == [], signed_in
    return signed_in
