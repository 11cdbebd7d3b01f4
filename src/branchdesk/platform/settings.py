"""Runtime settings, read from the environment with the ``BRANCHDESK_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRANCHDESK_", extra="ignore")

    env: Literal["development", "production"] = "development"
    # Owner/administrator connection: runs role bootstrap and migrations. Unset = embedded server.
    database_url: str | None = None
    # Connections the service itself uses; derived from database_url when unset.
    app_database_url: str | None = None
    platform_database_url: str | None = None
    db_role_password: SecretStr = SecretStr("branchdesk-dev")
    redis_url: str | None = None
    data_dir: Path = Path(".branchdesk")

    # JSON Web Key Set holding the private signing keys; the first key signs. Generated in development.
    signing_keys: SecretStr | None = None
    token_issuer: str = "https://branchdesk.local"
    token_audience: str = "branchdesk-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600

    signin_max_failures: int = 5
    signin_lockout_seconds: int = 900
    signin_failure_delay_seconds: float = 0.25

    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    page_size_default: int = 20
    page_size_max: int = 100

    host: str = "127.0.0.1"
    port: int = 8000
    # Run the ARQ worker inside the API process (default: in development only).
    worker_in_process: bool | None = None
    outbox_redispatch_seconds: int = 300

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
            if missing:
                raise ValueError("production needs explicit settings: " + ", ".join(missing))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
