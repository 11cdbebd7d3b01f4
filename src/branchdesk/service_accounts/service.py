"""Service accounts: machine clients of one branch (for example a core-banking feed).

A service account holds named permissions only, which the branch's Casbin policy carries as direct
rules for ``service:<id>``; so every change is announced to the enforcer caches like a policy change.
It gets access tokens with the OAuth2 client-credentials grant (``branchdesk.oauth``). Its client id
is ``<branch code>.<name>``, so the token endpoint finds the branch without looking across branches.
The secret is shown once and stored as an Argon2 hash; after a rotation the previous secret keeps
working for a grace period, so the client can be redeployed without an outage.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access import errors as access_errors
from branchdesk.access.policy import announce_change
from branchdesk.access.principal import Principal
from branchdesk.access.registry import PERMISSIONS, Scope
from branchdesk.platform import audit
from branchdesk.platform.audit import Author
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import bind_branch
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.hashing import hash_secret, verify_secret
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.rbac import events as rbac_events
from branchdesk.service_accounts import errors, repository
from branchdesk.service_accounts.models import ServiceAccount
from branchdesk.service_accounts.permissions import SERVICE_ACCOUNT_MANAGE
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import BranchStatus

MANAGE = SERVICE_ACCOUNT_MANAGE
DEFAULT_GRACE = timedelta(hours=24)
_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class IssuedSecret:
    """An account with its new client secret in plain text: shown once, never stored."""

    account: ServiceAccount
    client_secret: str


def client_id_of(branch_code: str, slug: str) -> str:
    return f"{branch_code}.{slug}"


def branch_code_of(client_id: str) -> str | None:
    code, dot, slug = client_id.rpartition(".")
    return code if dot and code and slug else None


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- managing accounts ---------------------------------------------------------------------------


async def create_service_account(
    session: AsyncSession, by: Principal, name: str, slug: str, permissions: Iterable[str]
) -> IssuedSecret:
    """A new account of the caller's branch, holding ``permissions`` (branch permissions the caller holds)."""
    _authorize_manager(by)
    name, slug = name.strip(), slug.strip()
    wanted = sorted({p.strip() for p in permissions})
    problems: list[DomainError] = []
    if not 1 <= len(name) <= 200:
        problems.append(DomainError(errors.SERVICE_ACCOUNT_NAME, field="name"))
    if not _SLUG.match(slug):
        problems.append(DomainError(errors.SERVICE_ACCOUNT_SLUG, field="slug"))
    if not wanted:
        problems.append(DomainError(errors.SERVICE_ACCOUNT_NO_PERMISSIONS, field="permissions"))
    problems += [problem for p in wanted if (problem := _not_grantable(by, p))]
    if problems:
        raise InvalidInput(problems)

    assert by.branch is not None and by.branch.code is not None  # a member of staff entered it by code
    client_id = client_id_of(by.branch.code, slug)
    if await repository.service_account_by_client_id(session, by.branch_id, client_id) is not None:
        raise DomainError(errors.SERVICE_ACCOUNT_EXISTS, field="slug", client_id=client_id)
    secret = _new_secret()
    account = ServiceAccount(
        tenant_id=by.branch_id,
        client_id=client_id,
        name=name,
        permissions=wanted,
        secret_hash=hash_secret(secret),
        active=True,
        created_at=utcnow(),
        created_by=by.staff_id,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError as exc:  # created concurrently under the same name
        raise DomainError(errors.SERVICE_ACCOUNT_EXISTS, field="slug", client_id=client_id) from exc
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "service_account.created",
        "service_account",
        account.id,
        {"client_id": client_id, "name": name, "permissions": wanted},
    )
    announce_change(session, by.branch_id)
    rbac_events.policy_changed(session, by.branch_id, "service_account")
    return IssuedSecret(account, secret)


def _authorize_manager(by: Principal) -> None:
    """Members of staff manage service accounts: a machine minting machines would answer to nobody."""
    by.require(MANAGE)
    if by.is_service:
        raise DomainError(errors.SERVICE_ACCOUNT_MANAGER)


def _not_grantable(by: Principal, permission: str, field: str = "permissions") -> DomainError | None:
    declared = PERMISSIONS.get(permission)
    if declared is None:
        return DomainError(access_errors.UNKNOWN_PERMISSION, field=field, permission=permission)
    if declared.scope is Scope.HEAD_OFFICE:
        return DomainError(access_errors.OUT_OF_SCOPE, field=field, permission=permission)
    if not by.can(permission):  # nobody hands a machine more than they may do themselves
        return DomainError(errors.PERMISSION_NOT_HELD, field=field, permission=permission)
    return None


async def rotate_secret(
    session: AsyncSession,
    by: Principal,
    account_id: uuid.UUID,
    grace: timedelta = DEFAULT_GRACE,
    reason: str | None = None,
) -> IssuedSecret:
    """A new secret; the current one keeps working for ``grace``, the one before it stops at once.

    A new secret hands out the account's permissions again, so the caller must hold every one of them.
    """
    _authorize_manager(by)
    account = await _account(session, by, account_id)
    if not account.active:
        raise DomainError(errors.SERVICE_ACCOUNT_INACTIVE, field="serviceAccountId", client_id=account.client_id)
    problems = [problem for p in account.permissions if (problem := _not_grantable(by, p, "serviceAccountId"))]
    if problems:
        raise InvalidInput(problems)
    secret = _new_secret()
    account.previous_secret_hash = account.secret_hash
    account.previous_secret_expires_at = utcnow() + grace
    account.secret_hash = hash_secret(secret)
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "service_account.secret_rotated",
        "service_account",
        account.id,
        {
            "client_id": account.client_id,
            "reason": reason,
            "previous_secret_valid_until": account.previous_secret_expires_at.isoformat(),
        },
    )
    return IssuedSecret(account, secret)


async def deactivate(
    session: AsyncSession, by: Principal, account_id: uuid.UUID, reason: str | None = None
) -> ServiceAccount:
    """The account gets no more tokens, and the tokens it holds stop working. Deactivating twice is a no-op."""
    _authorize_manager(by)
    account = await _account(session, by, account_id)
    if not account.active:
        return account
    account.active = False
    account.previous_secret_hash = None
    account.previous_secret_expires_at = None
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "service_account.deactivated",
        "service_account",
        account.id,
        {"client_id": account.client_id, "reason": reason},
    )
    announce_change(session, by.branch_id)
    rbac_events.policy_changed(session, by.branch_id, "service_account")
    return account


async def accounts_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[ServiceAccount]:
    """Accounts of the principal's branch by id; none without the permission (as if they did not exist)."""
    if not by.can(MANAGE):
        return []
    return await repository.service_accounts_by_ids(session, by.branch_id, ids)


ACCOUNT_ORDERS: dict[str, Key] = {
    "client_id": ServiceAccount.client_id,
    "name": (ServiceAccount.name, ServiceAccount.client_id),
    "created_at": (ServiceAccount.created_at, ServiceAccount.id),
}


async def list_accounts(session: AsyncSession, by: Principal, page: PageRequest) -> Page[ServiceAccount]:
    """The branch's accounts by client id unless ``page`` says otherwise (by name, or by creation)."""
    by.require(MANAGE)
    stmt = repository.service_accounts_query(by.branch_id)
    key = ACCOUNT_ORDERS[page.order_by or "client_id"]
    return await keyset(session, stmt, key, page, lambda account: account)


async def count_accounts(session: AsyncSession, by: Principal) -> int:
    by.require(MANAGE)
    return await count(session, repository.service_accounts_query(by.branch_id))


async def _account(session: AsyncSession, by: Principal, account_id: uuid.UUID) -> ServiceAccount:
    account = await repository.service_account(session, by.branch_id, account_id, for_update=True)
    if account is None:
        raise NotFound("Service account", "服务账号", field="serviceAccountId")
    return account


# --- the token endpoint ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClient:
    """What the token endpoint knows of a client before it authenticates: read once, then used offline."""

    account_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    client_id: str
    name: str
    permissions: frozenset[str]
    secret_hash: str
    previous_secret_hash: str | None  # only while the grace period lasts

    @property
    def author(self) -> Author:
        return Author("service", self.account_id, self.name)


async def token_client(session: AsyncSession, client_id: str) -> TokenClient | None:
    """The active account a client id names, in an open branch (the session is bound to it); else None."""
    code = branch_code_of(client_id)
    if code is None or len(client_id) > 64:
        return None
    branch = await tenants.find_branch(session, code)
    if branch is None or branch.status is not BranchStatus.ACTIVE:
        return None
    await bind_branch(session, branch.id)
    account = await repository.service_account_by_client_id(session, branch.id, client_id)
    if account is None or not account.active:
        return None
    in_grace = account.previous_secret_expires_at is not None and account.previous_secret_expires_at > utcnow()
    return TokenClient(
        account_id=account.id,
        branch_id=branch.id,
        branch_code=branch.code,
        client_id=account.client_id,
        name=account.name,
        permissions=frozenset(account.permissions),
        secret_hash=account.secret_hash,
        previous_secret_hash=account.previous_secret_hash if in_grace else None,
    )


def secret_matches(client: TokenClient | None, secret: str) -> bool:
    """Whether ``secret`` is the client's current secret, or its previous one during the grace period."""
    if client is None:
        return verify_secret(None, secret)
    hashes = [h for h in (client.secret_hash, client.previous_secret_hash) if h]
    return any(verify_secret(h, secret) for h in hashes)


def granted_scope(client: TokenClient, requested: str | None) -> list[str] | None:
    """The permissions a token gets: those requested (all granted when none), or None if any is not granted."""
    wanted = set((requested or "").split())
    if not wanted:
        return sorted(client.permissions)
    return sorted(wanted) if wanted <= client.permissions else None


async def record_token_issued(session: AsyncSession, client: TokenClient, scope: list[str]) -> None:
    await audit.record(
        session,
        client.branch_id,
        client.author,
        "service_account.token_issued",
        "service_account",
        client.account_id,
        {"client_id": client.client_id, "scope": scope},
    )


async def record_authentication_failed(session: AsyncSession, client: TokenClient) -> None:
    await audit.record(
        session,
        client.branch_id,
        client.author,
        "service_account.authentication_failed",
        "service_account",
        client.account_id,
        {"client_id": client.client_id},
    )


async def grants(session: AsyncSession, branch_id: uuid.UUID) -> dict[str, list[str]]:
    """Subject → permissions of the branch's active accounts: direct rules in the branch's policy."""
    return await repository.grants(session, branch_id)


async def created_by(platform_session: AsyncSession, staff_id: uuid.UUID) -> list[ServiceAccount]:
    """Active accounts a staff member created, in every branch (platform scope): to be reassigned when
    they leave."""
    return await repository.active_accounts_created_by(platform_session, staff_id)
