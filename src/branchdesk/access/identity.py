"""Who presented an access token: a staff member (signed in here, or at the bank's single sign-on) or a
service account.

The token's unverified ``iss`` only chooses the verifier: our key ring for our own issuer, the issuer's
published keys for a trusted one. Any other issuer, like every other failure, is the same
:class:`Unauthenticated`. A single sign-on token names the staff member by employee number.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access import repository
from branchdesk.platform.errors import Unauthenticated
from branchdesk.platform.federation import Federation
from branchdesk.platform.tokens import KeyRing, unverified_issuer

SERVICE_PREFIX = "service:"


@dataclass(frozen=True)
class Identity:
    claims: dict[str, Any]
    staff_id: uuid.UUID | None = None
    service_account_id: uuid.UUID | None = None
    service_branch: str | None = None  # the branch a service account's token was issued for
    scope: frozenset[str] | None = None  # the permissions a service account's token may use

    @property
    def session_id(self) -> uuid.UUID | None:
        """The sign-in (refresh-token family) our own staff token belongs to: its ``sid`` claim. None for
        service accounts, single sign-on tokens and tokens issued before the claim existed."""
        sid = self.claims.get("sid") if self.staff_id is not None else None
        try:
            return uuid.UUID(sid) if isinstance(sid, str) else None
        except ValueError:
            return None


async def identify(
    token: str | None,
    keys: KeyRing,
    federation: Federation,
    session: Callable[[], AbstractAsyncContextManager[AsyncSession]],
) -> Identity:
    """The verified identity; ``session`` is opened only to find a single sign-on user's staff record."""
    if not token:
        raise Unauthenticated()
    claims = keys.remembered(token)
    if claims is not None:
        return _ours(claims)
    issuer = unverified_issuer(token)
    if issuer == keys.issuer:
        return _ours(keys.verify_access_token(token))
    if federation.trusts(issuer):
        federated = await federation.verify(token)
        async with session() as s:
            staff_id = await repository.active_staff_id(s, federated.employee_number)
        if staff_id is None:
            raise Unauthenticated()
        return Identity(federated.claims, staff_id=staff_id)
    raise Unauthenticated()


def _ours(claims: dict[str, Any]) -> Identity:
    subject = claims["sub"]
    try:
        if isinstance(subject, str) and subject.startswith(SERVICE_PREFIX):
            branch, scope = claims.get("branch"), claims.get("scope")
            if not isinstance(branch, str) or not isinstance(scope, str):
                raise ValueError("service token without branch or scope")
            return Identity(
                claims,
                service_account_id=uuid.UUID(subject.removeprefix(SERVICE_PREFIX)),
                service_branch=branch,
                scope=frozenset(scope.split()),
            )
        return Identity(claims, staff_id=uuid.UUID(subject))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Unauthenticated() from exc
