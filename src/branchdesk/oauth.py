"""``POST /oauth/token``: the OAuth2 client-credentials grant for service accounts, on authlib's server.

authlib's authorization server is synchronous and framework-neutral; this module is its Starlette
adapter. The account that the request names is read from PostgreSQL first (authlib's callbacks
cannot await); then authlib authenticates it (``client_secret_basic`` or ``client_secret_post``),
checks the grant type and scope and answers in the standard OAuth2 shapes. The access token is our
own signed JWT for ``service:<account id>``, bound to the account's branch and the granted scope.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import structlog
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from branchdesk.access.policy import service_subject
from branchdesk.platform import throttle
from branchdesk.platform.tokens import KeyRing
from branchdesk.runtime import Runtime
from branchdesk.service_accounts import service as accounts
from branchdesk.service_accounts.service import TokenClient

log = structlog.get_logger(__name__)
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPE = "client_credentials"
MAX_FORM_BYTES = 8192


class FormPayload(OAuth2Payload):
    def __init__(self, form: FormData) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, Any]:
        return {key: value for key, value in self._form.items() if isinstance(value, str)}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._form.multi_items():
            if isinstance(value, str):  # always: the form is parsed from a urlencoded body
                values[key].append(value)
        return values


class StarletteOAuth2Request(OAuth2Request):
    def __init__(self, request: Request, form: FormData) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = FormPayload(form)
        self._query = request.query_params

    @property
    def args(self) -> Any:
        return self._query

    @property
    def form(self) -> dict[str, Any]:
        return self.payload.data


class ServiceClient(ClientMixin):
    """authlib's view of a service account; ``account`` is None when the client id names none we serve."""

    def __init__(self, client_id: str, account: TokenClient | None) -> None:
        self.client_id = client_id
        self.account = account
        self.secret_refused = False

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_client_secret(self, client_secret: str) -> bool:
        matches = accounts.secret_matches(self.account, client_secret)
        self.secret_refused = not matches
        return matches

    def get_allowed_scope(self, scope: str | None) -> str:
        granted = accounts.granted_scope(self.account, scope) if self.account else None
        return " ".join(granted or [])


class ServiceAccountGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        client: ServiceClient = self.client
        if client.account is None or accounts.granted_scope(client.account, self.request.payload.scope) is None:
            raise InvalidScopeError()


class TokenServer(AuthorizationServer):
    """The authorization server of one token request: it knows the one client that request names."""

    def __init__(self, keys: KeyRing, ttl_seconds: int, client: ServiceClient) -> None:
        super().__init__()
        self.keys = keys
        self.ttl_seconds = ttl_seconds
        self.client = client
        self.issued: dict[str, Any] | None = None
        self.register_grant(ServiceAccountGrant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> ServiceClient:
        # Another client id than the one read beforehand (mixed credentials) authenticates as nobody.
        return self.client if client_id == self.client.client_id else ServiceClient(client_id, None)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.issued = token  # a signed JWT carries everything: nothing to store, only to audit

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib's hook for framework signals; issued and refused tokens are audited by the endpoint."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        return _json(status, body, headers)

    def _generate(
        self,
        grant_type: str,
        client: ServiceClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        account = client.account
        assert account is not None  # authenticated
        granted = client.get_allowed_scope(scope)
        token, ttl = self.keys.issue_access_token(
            service_subject(account.account_id),
            ttl_seconds=self.ttl_seconds,
            client_id=account.client_id,
            branch=account.branch_code,
            scope=granted,
        )
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": granted}


def _claimed_client_id(request: OAuth2Request) -> str | None:
    """The client id the request authenticates as, the way authlib will look for it."""
    client_id, secret = extract_basic_authorization(request.headers)
    if client_id and secret:
        return str(client_id)
    claimed: str | None = request.payload.data.get("client_id")
    return claimed


async def _form(request: Request) -> FormData:
    """The token request's parameters: RFC 6749 sends them form-encoded, and they are few and short."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequestError("The token request must be application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidRequestError("The token request is too large.")
    try:
        fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=20)
        return FormData([(key, value) for key, value in fields])
    except ValueError as exc:
        raise InvalidRequestError("The token request is not a valid form.") from exc


def _json(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    return JSONResponse(body, status_code=status, headers=dict(headers))


async def _throttled(rt: Runtime, request: Request, client_id: str) -> int:
    """Seconds to wait when the source address or the client id has asked too often, else 0. Checked
    before the account is read and its secret verified: each verification costs an Argon2 hash."""
    settings = rt.settings
    source = request.client.host if request.client else "unknown"
    window = settings.token_window_seconds
    retry_after = await throttle.attempt(rt.redis, "token-source", source, settings.token_max_per_source, window)
    if not retry_after and client_id:
        retry_after = await throttle.attempt(rt.redis, "token-client", client_id, settings.token_max_per_client, window)
    return retry_after


async def token_endpoint(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    try:
        oauth_request = StarletteOAuth2Request(request, await _form(request))
    except OAuth2Error as error:  # plain http to anything but loopback, or not a form
        return _json(*error())
    client_id = _claimed_client_id(oauth_request) or ""
    retry_after = await _throttled(rt, request, client_id)
    if retry_after:
        log.info("token request throttled", client_id=client_id[:64], retry_after=retry_after)
        body = {"error": "rate_limited", "error_description": "Too many token requests; retry later."}
        return _json(429, body, [("Retry-After", str(retry_after))])
    async with rt.db.session(None) as session:
        account = await accounts.token_client(session, client_id) if client_id else None
    client = ServiceClient(client_id, account)
    server = TokenServer(rt.keys, rt.settings.service_token_ttl_seconds, client)
    # The secret check (Argon2) is deliberately slow: keep it off the event loop and off a connection.
    response: Response = await asyncio.to_thread(server.create_token_response, oauth_request)
    if account is not None and (server.issued is not None or client.secret_refused):
        async with rt.db.session(account.branch_id) as session:
            if server.issued is not None:
                await accounts.record_token_issued(session, account, server.issued["scope"].split())
            else:
                await accounts.record_authentication_failed(session, account)
    if server.issued is None:
        log.info("token request refused", client_id=client_id[:64], status=response.status_code)
    return response
