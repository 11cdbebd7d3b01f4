"""Access tokens of trusted external OpenID Connect issuers (the bank's single sign-on).

They are checked as strictly as our own (see :mod:`branchdesk.platform.tokens`): the issuer's
algorithm allow-list, a ``kid`` that the issuer's JWKS publishes, no header that names its own key,
the size cap, then ``iss``/``aud``/``exp``/``nbf`` and the claims we need. Each issuer's JWKS is
fetched over HTTP and cached; a token naming a key we do not know makes us fetch it again, at most
once a minute per issuer, so forged key ids cannot make us hammer the identity provider.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from joserfc import jwt
from joserfc.jwk import JWKRegistry
from joserfc.jwt import JWTClaimsRegistry

from branchdesk.platform.errors import Unauthenticated
from branchdesk.platform.settings import Settings, TrustedIssuer
from branchdesk.platform.tokens import FORBIDDEN_HEADERS, MAX_TOKEN_BYTES, unverified_header, unverified_issuer

log = structlog.get_logger(__name__)

LEEWAY_SECONDS = 30
MAX_JWKS_BYTES = 64 * 1024
MAX_KID_LENGTH = 256
MAX_EMPLOYEE_NUMBER_LENGTH = 32
# The key type each allowed algorithm needs: a key of another type never verifies a token.
KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
# Members of a private JWK: a JWKS that leaks them is still used for verifying only.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True)
class FederatedToken:
    issuer: TrustedIssuer
    claims: dict[str, Any]

    @property
    def employee_number(self) -> str:
        number: str = self.claims[self.issuer.employee_number_claim]
        return number


class IssuerKeys:
    """One issuer's published signing keys, fetched on demand and cached."""

    def __init__(
        self, issuer: TrustedIssuer, *, refetch_seconds: float, max_age_seconds: float, timeout_seconds: float
    ):
        self.issuer = issuer
        self.refetch_seconds = refetch_seconds
        self.max_age_seconds = max_age_seconds
        self.timeout = httpx.Timeout(timeout_seconds)
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any | None:
        if self._wants_fetch(kid):
            async with self._lock:
                if self._wants_fetch(kid):  # another request may have fetched while we waited
                    await self._refresh()
        return self._keys.get(kid)

    def _wants_fetch(self, kid: str) -> bool:
        now = time.monotonic()
        if self._attempted_at is not None and now - self._attempted_at < self.refetch_seconds:
            return False
        stale = self._fetched_at is None or now - self._fetched_at > self.max_age_seconds
        return stale or kid not in self._keys

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            keys = _import_key_set(await self._download())
        except Exception:  # the identity provider being down must not take our API down
            log.warning("could not fetch the JWKS of a trusted issuer", issuer=self.issuer.issuer, exc_info=True)
            return
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def _download(self) -> bytes:
        async with (
            httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client,
            client.stream("GET", self.issuer.jwks_uri, headers={"Accept": "application/json"}) as response,
        ):
            response.raise_for_status()
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("JWKS too large")
            return body


def _import_key_set(body: bytes) -> dict[str, Any]:
    data = json.loads(body)
    keys: dict[str, Any] = {}
    for jwk in data["keys"]:
        if not isinstance(jwk, dict):
            continue
        kid, kty = jwk.get("kid"), jwk.get("kty")
        if not isinstance(kid, str) or kty not in KEY_TYPE.values() or jwk.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = JWKRegistry.import_key({k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS})
        except Exception:
            log.warning("skipping a key of a trusted issuer's JWKS that does not import", kid=kid[:MAX_KID_LENGTH])
    return keys


class Federation:
    """The trusted issuers, each with its cached keys."""

    def __init__(
        self,
        issuers: Iterable[TrustedIssuer] = (),
        *,
        refetch_seconds: float = 60.0,
        max_age_seconds: float = 3600.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._issuers = {
            issuer.issuer: IssuerKeys(
                issuer,
                refetch_seconds=refetch_seconds,
                max_age_seconds=max_age_seconds,
                timeout_seconds=timeout_seconds,
            )
            for issuer in issuers
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> Federation:
        return cls(settings.oidc_issuers)

    def trusts(self, issuer: str | None) -> bool:
        return issuer is not None and issuer in self._issuers

    async def verify(self, token: str) -> FederatedToken:
        """A valid token of a trusted issuer; every failure is the same :class:`Unauthenticated`."""
        try:
            return await self._verify(token)
        except Exception as exc:  # whatever a forged token trips over, the caller sees the same refusal
            raise Unauthenticated() from exc

    async def _verify(self, token: str) -> FederatedToken:
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise ValueError("token too large")
        keys = self._issuers[unverified_issuer(token) or ""]
        trusted = keys.issuer
        header = unverified_header(token)
        alg = header.get("alg")
        if alg not in trusted.algorithms or header.get("typ") not in trusted.token_types:
            raise ValueError("algorithm or type not allowed")
        if FORBIDDEN_HEADERS & header.keys():
            raise ValueError("token names its own key")
        kid = header.get("kid")
        if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
            raise ValueError("key id missing")
        key = await keys.key(kid)
        if key is None:
            raise ValueError("unknown key id")
        if key.key_type != KEY_TYPE[alg[:2]] or key.get("alg") not in (None, alg):
            raise ValueError("key does not fit the algorithm")
        claims = jwt.decode(token, key, algorithms=[alg]).claims
        JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": trusted.issuer},
            aud={"essential": True, "value": trusted.audience},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(claims)
        employee_number = claims.get(trusted.employee_number_claim)
        if not isinstance(employee_number, str) or not 0 < len(employee_number) <= MAX_EMPLOYEE_NUMBER_LENGTH:
            raise ValueError("employee number missing")
        return FederatedToken(trusted, claims)
