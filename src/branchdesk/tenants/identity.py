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

from branchdesk.platform.errors import Unauthenticated
from branchdesk.platform.federation import Federation
from branchdesk.platform.tokens import KeyRing, unverified_issuer
from branchdesk.tenants import repository
from branchdesk.tenants.models import StaffStatus

SERVICE_PREFIX = "service:"


@dataclass(frozen=True)
class Caller:
    claims: dict[str, Any]
    staff_id: uuid.UUID | None = None
    service_account_id: uuid.UUID | None = None
    service_branch: str | None = None  # the branch a service account's token was issued for
    scope: frozenset[str] | None = None  # the permissions a service account's token may use

    @property
    def is_service(self) -> bool:
        return self.service_account_id is not None


async def identify(
    token: str | None,
    keys: KeyRing,
    federation: Federation,
    session: Callable[[], AbstractAsyncContextManager[AsyncSession]],
) -> Caller:
    """The verified caller; ``session`` is opened only to find a single sign-on user's staff record."""
    if not token:
        raise Unauthenticated()
    issuer = unverified_issuer(token)
    if issuer == keys.issuer:
        return _ours(keys.verify_access_token(token))
    if federation.trusts(issuer):
        federated = await federation.verify(token)
        async with session() as s:
            staff = await repository.staff_by_employee_number(s, federated.employee_number)
        if staff is None or staff.status is not StaffStatus.ACTIVE:
            raise Unauthenticated()
        return Caller(federated.claims, staff_id=staff.id)
    raise Unauthenticated()


def _ours(claims: dict[str, Any]) -> Caller:
    subject = claims["sub"]
    try:
        if isinstance(subject, str) and subject.startswith(SERVICE_PREFIX):
            branch, scope = claims.get("branch"), claims.get("scope")
            if not isinstance(branch, str) or not isinstance(scope, str):
                raise ValueError("service token without branch or scope")
            return Caller(
                claims,
                service_account_id=uuid.UUID(subject.removeprefix(SERVICE_PREFIX)),
                service_branch=branch,
                scope=frozenset(scope.split()),
            )
        return Caller(claims, staff_id=uuid.UUID(subject))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Unauthenticated() from exc
