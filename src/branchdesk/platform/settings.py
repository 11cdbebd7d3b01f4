"""Runtime settings, read from the environment with the ``BRANCHDESK_`` prefix."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Asymmetric signatures only: a shared-secret algorithm would let anyone holding the JWKS sign.
FEDERATION_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "Ed25519"}
)


# Where front-end dev servers run: Vite, Create React App.
DEV_ORIGINS = ("http://localhost:5173", "http://localhost:3000")

# Development-only keys for personal data at rest, so that a fresh checkout runs; production refuses them.
DEV_DATA_KEYS = json.dumps(
    {
        "current": "dev-not-for-production",
        "keys": {"dev-not-for-production": "ZGV2ZWxvcG1lbnQgb25seSwgbm90IGZvciBwcm9kISE="},
    }
)
DEV_DATA_HASH_KEY = "development-only-hash-key-not-for-production"

# A prefix of database role names: <prefix>_owner, <prefix>_app, <prefix>_platform fit in 63 characters.
ROLE_PREFIX_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class TrustedIssuer(BaseModel):
    """An external OpenID Connect issuer (the bank's single sign-on) whose access tokens we accept."""

    issuer: str = Field(min_length=1)
    jwks_uri: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    employee_number_claim: str = "employee_number"
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "Ed25519"], min_length=1)
    # The JWT ``typ`` header values accepted (RFC 9068 access tokens by default).
    token_types: list[str] = Field(default_factory=lambda: ["at+jwt", "application/at+jwt"], min_length=1)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        refused = set(algorithms) - FEDERATION_ALGORITHMS
        if refused:
            raise ValueError(f"algorithms not allowed for a trusted issuer: {sorted(refused)}")
        return algorithms


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRANCHDESK_", extra="ignore")

    env: Literal["development", "production"] = "development"
    # Owner/administrator connection: runs role bootstrap and migrations. Unset = embedded server.
    database_url: str | None = None
    # Connections the service itself uses; derived from database_url when unset.
    app_database_url: str | None = None
    platform_database_url: str | None = None
    db_role_password: SecretStr = SecretStr("branchdesk-dev")
    # Names this deployment's roles (<prefix>_owner, _app, _platform); default: from the database's name.
    db_role_prefix: str | None = Field(default=None, pattern=ROLE_PREFIX_PATTERN)
    redis_url: str | None = None
    db_lock_timeout_ms: int = 5_000
    db_statement_timeout_ms: int = 30_000
    db_idle_in_transaction_timeout_ms: int = 60_000
    # Connections each process keeps open to PostgreSQL for requests (a fixed pool: none is opened or
    # closed under load); a request waits for a free one when all are busy.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    data_dir: Path = Path(".branchdesk")

    # JSON Web Key Set holding the private signing keys; the first key signs. Generated in development.
    signing_keys: SecretStr | None = None
    token_issuer: str = "https://branchdesk.local"
    token_audience: str = "branchdesk-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    service_token_ttl_seconds: int = 600
    # A rotated service-account secret keeps working this long, so the client can be redeployed.
    service_secret_grace_seconds: int = 24 * 3600
    # Keys that encrypt personal data at rest (AES-256-GCM), as JSON: {"current": "<id>", "keys": {"<id>":
    # "<base64 of 32 bytes>", ...}}. The current key encrypts; every key listed still decrypts, so a key is
    # rotated by adding one, making it current and running `branchdesk crm rekey`, then removing the old.
    data_keys: SecretStr = SecretStr(DEV_DATA_KEYS)
    # The key of the keyed hashes (HMAC-SHA256) that find personal data by exact match. It does not
    # rotate with the data keys; `crm rekey` recomputes the hashes of the rows it re-seals, so change it
    # together with a new current data key.
    data_hash_key: SecretStr = SecretStr(DEV_DATA_HASH_KEY)
    # JSON list of trusted OpenID Connect issuers (see TrustedIssuer).
    oidc_issuers: list[TrustedIssuer] = Field(default_factory=list)

    signin_max_failures: int = 5
    signin_lockout_seconds: int = 900
    signin_failure_delay_seconds: float = 0.25
    # Failed sign-ins from one source address, whatever accounts they name, before it must wait (RATE_LIMITED).
    signin_source_max_failures: int = Field(default=30, ge=1)
    signin_source_window_seconds: int = Field(default=900, ge=1)
    # How long an activation code (a new identity's, or an administrator's reset) can be redeemed.
    activation_code_ttl_seconds: int = Field(default=72 * 3600, ge=60)
    # Who tells a person that a code was issued: "module:function" taking a credentials.notices.Notice.
    activation_notifier: str = "branchdesk.credentials.notices:log_notice"
    # Who delivers a survey invitation to a client: "module:function" taking a surveys.invitations.Invitation.
    survey_notifier: str = "branchdesk.surveys.invitations:log_invitation"
    # Whether the roles head office names must use a second factor at sign-in. Off only for development
    # (`dev.py start`'s demo, most tests); production refuses to start with it off.
    second_factor_enforced: bool = True
    # Base64url of 32 random bytes: the AES-GCM key that seals TOTP secrets. Generated under DATA_DIR in
    # development; production needs it.
    # Requests to /oauth/token per client id and per source address in a window, before HTTP 429.
    # GraphQL cost per caller (staff member, service account, or address when anonymous): the fields an
    # operation selects, summed over a window; 0 turns the limit off (the default: branches differ a lot).
    graphql_cost_budget: int = Field(default=0, ge=0)
    graphql_cost_window_seconds: int = Field(default=60, ge=1)
    token_max_per_client: int = Field(default=30, ge=1)
    token_max_per_source: int = Field(default=60, ge=1)
    token_window_seconds: int = Field(default=60, ge=1)

    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    page_size_default: int = 20
    # Request bodies over this are refused (413) before they are read; JSON nested deeper, too (400).
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    http_max_json_depth: int = Field(default=32, ge=4, le=200)
    page_size_max: int = 100

    # Bearer token that /metrics asks for. Unset: /metrics is open in development, closed in production.
    metrics_token: SecretStr | None = None
    # Operation names counted under their own label besides the schema's root fields (others: "other").
    metrics_operations: list[str] = Field(default_factory=list, max_length=500)

    # Browser origins allowed to call the API (CORS), as a JSON list. Unset: none in production, the Vite
    # and Create React App dev servers in development.
    cors_origins: list[str] | None = None
    # Events a subscriber may fall behind before it is dropped (its subscription ends SUBSCRIBER_TOO_SLOW).
    subscription_queue_size: int = Field(default=100, ge=1)
    # How long a query sent with its hash (Apollo's automatic persisted queries) is kept for its hash alone.
    persisted_query_ttl_seconds: int = Field(default=24 * 3600, ge=60)

    host: str = "127.0.0.1"
    port: int = 8000
    # Run the ARQ worker inside the API process (default: in development only).
    worker_in_process: bool | None = None
    outbox_redispatch_seconds: int = 300
    # A row sent this often without completing is given up as dead (logged, counted), not sent again.
    outbox_max_dispatches: int = Field(default=20, ge=1)
    # A job failing on a transient error (connection lost, serialization failure, deadlock, Redis timeout)
    # runs again this many times, after base × 1, 2, 4 … seconds, before the relay takes over.
    job_transient_retries: int = Field(default=3, ge=0)
    job_retry_base_seconds: float = Field(default=1.0, gt=0)
    # The longest a job may run. A job whose worker died is run again this + 10 s after it started (ARQ's
    # in-progress marker), so it is kept short; see the README's Operations section.
    job_timeout_seconds: int = Field(default=60, ge=1)
    # The jobs health view reports the queue stuck when the oldest pending outbox row is older than this.
    jobs_stuck_after_seconds: int = Field(default=900, ge=1)

    @property
    def db_server_settings(self) -> dict[str, str]:
        return {
            "lock_timeout": str(self.db_lock_timeout_ms),
            "statement_timeout": str(self.db_statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(self.db_idle_in_transaction_timeout_ms),
        }

    @property
    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        return [] if self.is_production else list(DEV_ORIGINS)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None

    @property
    def run_worker_in_process(self) -> bool:
        if self.worker_in_process is None:
            return not self.is_production
        return self.worker_in_process

    @model_validator(mode="after")
    def _production_needs_explicit_configuration(self) -> Settings:
        if self.is_production:
            missing = [
                name
                for name, value in (
                    ("BRANCHDESK_DATABASE_URL", self.database_url),
                    ("BRANCHDESK_REDIS_URL", self.redis_url),
                    ("BRANCHDESK_SIGNING_KEYS", self.signing_keys),
                )
                if not value
            ]
            if self.db_role_password.get_secret_value() == "branchdesk-dev":
                missing.append("BRANCHDESK_DB_ROLE_PASSWORD")
            if self.data_keys.get_secret_value() == DEV_DATA_KEYS:
                missing.append("BRANCHDESK_DATA_KEYS")
            if self.data_hash_key.get_secret_value() == DEV_DATA_HASH_KEY:
                missing.append("BRANCHDESK_DATA_HASH_KEY")
            if missing:
                raise ValueError("production needs explicit settings: " + ", ".join(missing))
            if not self.second_factor_enforced:
                raise ValueError("production enforces second factors: BRANCHDESK_SECOND_FACTOR_ENFORCED cannot be off")
        for trusted in self.oidc_issuers:
            if trusted.issuer == self.token_issuer:
                raise ValueError("a trusted issuer cannot be our own issuer")
            if self.is_production and not trusted.jwks_uri.startswith("https://"):
                raise ValueError(f"the JWKS of {trusted.issuer} must be fetched over https")
        if len({t.issuer for t in self.oidc_issuers}) != len(self.oidc_issuers):
            raise ValueError("each trusted issuer is configured once")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
