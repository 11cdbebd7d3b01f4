"""Per-branch Casbin policies, loaded on demand, evicted when idle, invalidated across processes.

Each branch gets its own small Casbin enforcer (its effective policy and its members only), so
working out a decision never looks at another branch's rules; Casbin resolves each member's roles
and permissions when the branch is loaded, and requests look the answer up. A change is announced on
Redis pub/sub after commit; every API process and worker drops the branch and loads it again on next
use.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import casbin
import structlog
from casbin.model import Model
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.registry import PERMISSIONS, DataScope, split, widest
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import after_commit

log = structlog.get_logger(__name__)
MODEL_TEXT = (Path(__file__).parent / "model.conf").read_text()
CHANNEL = "branchdesk:policy-changed"


def staff_subject(staff_id: uuid.UUID) -> str:
    return f"staff:{staff_id}"


def service_subject(account_id: uuid.UUID) -> str:
    return f"service:{account_id}"


def effective_permissions(
    baseline: Mapping[str, Iterable[str]], overrides: Iterable[tuple[str, str, bool]]
) -> dict[str, set[str]]:
    """Role → permissions in a branch: the baseline, less what the branch revoked, plus what it granted."""
    roles = {role: set(perms) for role, perms in baseline.items()}
    for role, permission, granted in overrides:
        (roles.setdefault(role, set()).add if granted else roles.setdefault(role, set()).discard)(permission)
    return roles


# What an explanation names for a permission granted to the subject itself, through no role
# (service accounts hold only such grants).
DIRECT = "direct"


class BranchPolicy:
    """One branch's policy. Casbin works out, when the branch is loaded, what each subject may do;
    a decision is then a set lookup, equally fast for allow and deny and for any number of branches.

    Subjects holding the same roles share one permission set, and the Casbin enforcer itself is only
    kept while it is needed (loading, explanations), which keeps a loaded branch small.
    """

    def __init__(
        self,
        branch_id: uuid.UUID,
        role_permissions: Mapping[str, Iterable[str]],
        assignments: Mapping[str, Iterable[str]],
        direct: Mapping[str, Iterable[str]] | None = None,
        scopes: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.branch_id = branch_id
        self.domain = str(branch_id)
        self.valid_until: datetime | None = None  # when a membership starts or ends by itself
        self._role_permissions = {role: frozenset(perms) for role, perms in role_permissions.items()}
        # role → data-scoped permission → its grant's scope (a p rule's fifth field)
        self._scopes = {role: dict(granted) for role, granted in (scopes or {}).items()}
        self._assignments = {subject: tuple(sorted(set(roles))) for subject, roles in assignments.items()}
        self._direct = {subject: frozenset(perms) for subject, perms in (direct or {}).items()}
        enforcer = self.enforcer()
        shared: dict[tuple[tuple[str, ...], frozenset[str]], tuple[frozenset[str], dict[str, DataScope]]] = {}
        self._held: dict[str, frozenset[str]] = {}
        self._reach: dict[str, dict[str, DataScope]] = {}
        for subject in self._assignments.keys() | self._direct.keys():
            key = (self._assignments.get(subject, ()), self._direct.get(subject, frozenset()))
            if key not in shared:
                rules = enforcer.get_implicit_permissions_for_user(subject, self.domain)
                shared[key] = (frozenset(f"{rule[2]}:{rule[3]}" for rule in rules), _reach(subject, rules))
            self._held[subject], self._reach[subject] = shared[key]

    def enforcer(self) -> casbin.Enforcer:
        """A Casbin enforcer holding this branch's policy (built on demand; not kept)."""
        model = Model()
        model.load_model_from_text(MODEL_TEXT)
        enforcer = casbin.Enforcer(model)
        # Casbin's domain role manager matches role names with a pattern function, by default plain equality,
        # and then compares every link it adds with every role it knows (it rebuilds a domain's roles from
        # its links for each question asked): most of a branch's load. Without one, names match exactly all
        # the same, and a link costs one lookup.
        enforcer.get_role_manager().add_matching_func(None)
        rules = [
            [role, self.domain, *split(p), self._scopes.get(role, {}).get(p, "")]
            for role, perms in self._role_permissions.items()
            for p in sorted(perms)
        ]
        rules += [
            [subject, self.domain, *split(p), ""] for subject, perms in self._direct.items() for p in sorted(perms)
        ]
        if rules:
            enforcer.add_named_policies("p", rules)
        links = [[subject, role, self.domain] for subject, roles in self._assignments.items() for role in roles]
        if links:
            enforcer.add_named_grouping_policies("g", links)
        return enforcer

    def allows(self, subject: str, permission: str) -> bool:
        held = self._held.get(subject)
        return held is not None and permission in held

    def held_by(self, subject: str) -> frozenset[str]:
        return self._held.get(subject, frozenset())

    def data_scope(self, subject: str, permission: str) -> DataScope | None:
        """How far the subject's grant of a data-scoped permission reaches (None: not held, or not scoped)."""
        return self._reach.get(subject, {}).get(permission)

    def data_scopes_of(self, subject: str) -> dict[str, DataScope]:
        return dict(self._reach.get(subject, {}))

    def permissions_of(self, subject: str) -> dict[str, list[str]]:
        """Each permission the subject holds here, with the roles (or direct grant) it comes through."""
        return self.explain([subject])[subject]

    def explain(self, subjects: Iterable[str]) -> dict[str, dict[str, list[str]]]:
        """:meth:`permissions_of` for several subjects, asking one enforcer."""
        enforcer = self.enforcer()
        explained: dict[str, dict[str, list[str]]] = {}
        for subject in subjects:
            held = explained[subject] = {}
            # Sorted: Casbin's role links come back in no stable order, and answers must not change between requests.
            for role in [*sorted(enforcer.get_roles_for_user_in_domain(subject, self.domain)), subject]:
                for rule in enforcer.get_filtered_named_policy("p", 0, role, self.domain):
                    held.setdefault(f"{rule[2]}:{rule[3]}", []).append(role if role != subject else DIRECT)
        return explained


_SCOPES = frozenset(s.value for s in DataScope)


def _reach(subject: str, rules: Iterable[list[str]]) -> dict[str, DataScope]:
    """The widest scope of each data-scoped permission among a subject's rules. A rule without one
    reaches the narrowest scope, except a direct grant (a service account has no book of its own)."""
    found: dict[str, list[DataScope]] = {}
    for rule in rules:
        permission = f"{rule[2]}:{rule[3]}"
        declared = PERMISSIONS.get(permission)
        if declared is None or not declared.data_scoped:
            continue
        stored = rule[4] if len(rule) > 4 else ""
        default = DataScope.BRANCH if rule[0] == subject else DataScope.OWN
        found.setdefault(permission, []).append(DataScope(stored) if stored in _SCOPES else default)
    return {permission: widest(scopes) for permission, scopes in found.items()}


def effective_scopes(
    baseline_scopes: Mapping[tuple[str, str], str], override_scopes: Mapping[tuple[str, str], str]
) -> dict[str, dict[str, str]]:
    """Role → data-scoped permission → scope in a branch: the branch's own grant's scope over the baseline's."""
    roles: dict[str, dict[str, str]] = {}
    for (role, permission), scope in {**baseline_scopes, **override_scopes}.items():
        roles.setdefault(role, {})[permission] = scope
    return roles


@dataclass(frozen=True)
class PolicySource:
    """Where policies come from (the rbac domain's store, given to the cache at start-up): the
    baseline, and one branch's overrides, role assignments and service-account grants."""

    baseline: Callable[[AsyncSession], Awaitable[dict[str, set[str]]]]
    branch: Callable[[AsyncSession, uuid.UUID], Awaitable[BranchRules]]
    # (role, permission) → data scope of the baseline's grants of data-scoped permissions
    baseline_scopes: Callable[[AsyncSession], Awaitable[dict[tuple[str, str], str]]] | None = None


@dataclass(frozen=True)
class BranchRules:
    overrides: list[tuple[str, str, bool]]  # (role, permission, granted)
    assignments: list[tuple[uuid.UUID, list[str]]]  # (staff id, roles)
    direct: dict[str, list[str]]  # subject → permissions granted to it directly (service accounts)
    # (role, permission) → data scope of the branch's own grants of data-scoped permissions
    override_scopes: dict[tuple[str, str], str] = field(default_factory=dict)
    valid_until: datetime | None = None  # a membership starts or ends by itself then (a cover)


async def load_branch_policy(
    session: AsyncSession,
    source: PolicySource,
    branch_id: uuid.UUID,
    baseline: Mapping[str, set[str]],
    baseline_scopes: Mapping[tuple[str, str], str] | None = None,
) -> BranchPolicy:
    rules = await source.branch(session, branch_id)
    policy = BranchPolicy(
        branch_id,
        effective_permissions(baseline, rules.overrides),
        {staff_subject(staff_id): roles for staff_id, roles in rules.assignments},
        rules.direct,
        effective_scopes(baseline_scopes or {}, rules.override_scopes),
    )
    policy.valid_until = rules.valid_until
    return policy


class PolicyCache:
    """The process's branch policies: at most ``max_branches`` (about 20 KB each), each dropped after
    ``idle_seconds`` unused, and reloaded at least every ``max_age_seconds`` in case an announcement
    was lost (the announcement is what makes a change take effect at once)."""

    def __init__(
        self,
        source: PolicySource,
        redis: Redis | None = None,
        *,
        max_branches: int = 10_000,
        idle_seconds: float = 900,
        max_age_seconds: float = 60,
    ) -> None:
        self.source = source
        self.redis = redis
        self.max_branches = max_branches
        self.idle_seconds = idle_seconds
        self.max_age_seconds = max_age_seconds
        # branch → (policy, last used, loaded at), least recently used first
        self._entries: OrderedDict[uuid.UUID, tuple[BranchPolicy, float, float]] = OrderedDict()
        self._generation: dict[uuid.UUID | None, int] = {}
        self._loading: dict[uuid.UUID, asyncio.Event] = {}  # branch → set when its load in progress ends
        self._baseline: dict[str, set[str]] | None = None
        self._baseline_scopes: dict[tuple[str, str], str] = {}
        self._listener: asyncio.Task[None] | None = None
        self._origin = uuid.uuid4().hex  # this process's own announcements are already applied
        self.loads = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def for_branch(self, session: AsyncSession, branch_id: uuid.UUID) -> BranchPolicy:
        """The branch's enforcer; ``session`` must be bound to that branch (used only to load it).

        One load per branch at a time: requests that find the branch missing or due while it is being
        loaded wait for that load, then take what it kept. Loading takes a branch's rules in one statement
        and then Casbin work that holds the event loop (6-10 ms for bench/api.py's branch of 67 members), so
        every request in flight loading it for itself, as each once did when the entry came due, stopped
        the process for 32 × that at 32 concurrent requests. A load that is not kept (a change announced
        meanwhile) or that failed leaves the waiters to load again, one at a time."""
        while True:
            now = time.monotonic()
            entry = self._entries.get(branch_id)
            if (
                entry is not None
                and now - entry[1] < self.idle_seconds
                and now - entry[2] < self.max_age_seconds
                and (entry[0].valid_until is None or utcnow() < entry[0].valid_until)
            ):
                self._entries[branch_id] = (entry[0], now, entry[2])
                self._entries.move_to_end(branch_id)
                return entry[0]
            loading = self._loading.get(branch_id)
            if loading is None:
                break
            await loading.wait()
        self._loading[branch_id] = loaded = asyncio.Event()
        try:
            return await self._load(session, branch_id)
        finally:
            del self._loading[branch_id]
            loaded.set()

    async def _load(self, session: AsyncSession, branch_id: uuid.UUID) -> BranchPolicy:
        generation = (self._generation.get(branch_id, 0), self._generation.get(None, 0))
        baseline = await self.baseline(session)
        policy = await load_branch_policy(session, self.source, branch_id, baseline, self._baseline_scopes)
        self.loads += 1
        # A change announced while loading makes what was loaded stale: serve it once, keep nothing.
        if generation == (self._generation.get(branch_id, 0), self._generation.get(None, 0)):
            now = time.monotonic()
            self._entries[branch_id] = (policy, now, now)
            self._entries.move_to_end(branch_id)
            self._evict(now)
        return policy

    async def baseline(self, session: AsyncSession) -> dict[str, set[str]]:
        if self._baseline is None:
            generation = self._generation.get(None, 0)
            baseline = await self.source.baseline(session)
            scopes = await self.source.baseline_scopes(session) if self.source.baseline_scopes else {}
            self._baseline_scopes = scopes
            if generation == self._generation.get(None, 0):
                self._baseline = baseline
            return baseline
        return self._baseline

    def _evict(self, now: float) -> None:
        while len(self._entries) > self.max_branches:
            self._entries.popitem(last=False)
        while self._entries:
            oldest_id, (_, used, _loaded) = next(iter(self._entries.items()))
            if now - used < self.idle_seconds:
                break
            del self._entries[oldest_id]

    def invalidate(self, branch_ids: Iterable[uuid.UUID | None]) -> None:
        """Forget enforcers; ``None`` stands for the baseline, which every branch is built on."""
        for branch_id in branch_ids:
            self._generation[branch_id] = self._generation.get(branch_id, 0) + 1
            if branch_id is None:
                self._baseline = None
                self._entries.clear()
            else:
                self._entries.pop(branch_id, None)

    async def announce(self, branch_ids: Iterable[uuid.UUID | None]) -> None:
        """After commit: forget here at once, and tell every other process."""
        ids = list(branch_ids)
        self.invalidate(ids)
        if self.redis is not None:
            message = {"origin": self._origin, "branches": [str(i) if i else None for i in ids]}
            await self.redis.publish(CHANNEL, json.dumps(message))

    def start_listening(self) -> None:
        if self.redis is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen())

    async def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    async def _listen(self) -> None:
        assert self.redis is not None
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    # Announcements missed while not subscribed cannot be known: start from nothing.
                    self.invalidate([None])
                    quiet_since = time.monotonic()
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None and message.get("type") == "message":
                            news = json.loads(message["data"])
                            if news.get("origin") != self._origin:
                                self.invalidate([uuid.UUID(i) if i else None for i in news["branches"]])
                            quiet_since = time.monotonic()
                        elif time.monotonic() - quiet_since > 15:
                            await pubsub.ping()  # a half-open connection fails here and is replaced
                            quiet_since = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("policy change listener lost its connection; retrying", exc_info=True)
                await asyncio.sleep(0.5)


POLICY_CACHE = "policy_cache"


def announce_change(session: AsyncSession, branch_id: uuid.UUID | None) -> None:
    """Once the session commits, drop the branch's policy (None: the baseline, so every branch) in this
    process and every other one; the runtime puts its process's cache in every session's ``info``."""
    cache: PolicyCache | None = session.info.get(POLICY_CACHE)
    if cache is not None:
        after_commit(session, lambda: cache.announce([branch_id]))
