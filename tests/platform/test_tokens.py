"""Access-token verification is remembered per token (it is a tenth of a light request), never for a
token that failed, and never past the token's expiry."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest

from branchdesk.platform import tokens
from branchdesk.platform.errors import Unauthenticated
from branchdesk.platform.tokens import LEEWAY_SECONDS, KeyRing, generate_key


def _ring() -> KeyRing:
    return KeyRing([generate_key()], issuer="https://branchdesk.test", audience="branchdesk", access_ttl_seconds=60)


def test_a_verified_token_is_not_verified_again(monkeypatch):
    ring = _ring()
    token, _ = ring.issue_access_token(uuid.uuid4())
    claims = ring.verify_access_token(token)

    def verify_again(_token: str) -> dict:
        raise AssertionError("verified twice")

    monkeypatch.setattr(ring, "_verify", verify_again)
    assert ring.verify_access_token(token) is claims


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch):
    ring = _ring()
    token, ttl = ring.issue_access_token(uuid.uuid4())
    ring.verify_access_token(token)
    later = time.time() + ttl + LEEWAY_SECONDS + 1
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated):
        ring.verify_access_token(token)


def test_a_token_that_fails_is_not_remembered():
    ring = _ring()
    token, _ = ring.issue_access_token(uuid.uuid4())
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            ring.verify_access_token(forged)
    assert ring.verify_access_token(token)["sub"]


def test_the_ring_remembers_a_bounded_number_of_tokens(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_KEPT", 3)
    ring = _ring()
    issued = [ring.issue_access_token(uuid.uuid4())[0] for _ in range(5)]
    for token in issued:
        ring.verify_access_token(token)
    assert list(ring._verified) == issued[-3:]  # the oldest forgotten first


async def test_a_request_with_a_remembered_token_is_identified_without_reading_the_token(monkeypatch):
    """The remembered claims are looked up before the token is parsed; once they expire the token is
    parsed and refused as before."""
    from branchdesk.access import identity
    from branchdesk.platform.federation import Federation

    def no_parsing(_token: str) -> str:
        raise AssertionError("parsed a remembered token")

    ring, staff_id = _ring(), uuid.uuid4()
    token, ttl = ring.issue_access_token(staff_id)
    assert (await identity.identify(token, ring, Federation(), None)).staff_id == staff_id  # type: ignore[arg-type]
    with monkeypatch.context() as patched:
        patched.setattr(identity, "unverified_issuer", no_parsing)
        assert (await identity.identify(token, ring, Federation(), None)).staff_id == staff_id  # type: ignore[arg-type]
    later = time.time() + ttl + LEEWAY_SECONDS + 1
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated):
        await identity.identify(token, ring, Federation(), None)  # type: ignore[arg-type]
