"""Settings, read once at start from ``DIALER_*`` environment variables and an optional TOML file.

Environment variables win over the file. A bad value raises ``SettingsError`` with one line naming the
setting, which the CLI prints before exiting with code 2. Outside development mode the session secret
must be set explicitly: there is no built-in default to forget about.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import string
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialer import password_cost
from dialer.errors import SettingsError
from sms.provider_settings import SmsProviderConfig, check_unique, parse_providers

# The placeholders each dial-string template setting may use.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "trunk_template": ("number", "digits"),
    "agent_phone_template": ("agent_id",),
}


def placeholders(template: str) -> set[str]:
    """The ``{name}`` placeholders in ``template`` (``ValueError`` if its braces do not pair up)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class AmiServer(BaseModel):
    """One Asterisk server reached over AMI."""

    name: str = "asterisk"
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "dialer"
    secret: str
    max_channels: int = Field(200, ge=1)


class Settings(BaseSettings):
    """Everything the dialer reads from its environment. Paths are resolved at load time."""

    model_config = SettingsConfigDict(env_prefix="DIALER_", extra="forbid", env_nested_delimiter="__")

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None       # None: embedded PostgreSQL under data_dir/postgres
    redis_url: str | None = None          # None: embedded Valkey under data_dir/valkey
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    secret_key: str | None = None         # signs session cookies; required in production
    session_max_age_s: int = Field(8 * 3600, ge=60)   # absolute: a session ends this long after sign-in
    session_idle_s: int = Field(30 * 60, ge=60)        # sliding: a session unused this long ends
    admin_password: str | None = None     # first start: the admin's password (random if unset)
    # Login limiter: per (username, address) this many failures are free, then each further one waits
    # twice as long (2 s, 4 s, ... up to 15 min); per address, across usernames, this many failures in
    # 15 minutes block the address for the rest of the window.
    login_failures_before_delay: int = Field(3, ge=1)
    login_attempts_per_15min: int = Field(50, ge=1)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated in the
    # environment); from any other peer the header is ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ami_servers: list[AmiServer] = Field(default_factory=list)  # empty: the in-process simulated PBX
    # The site this engine works for (dialer.sites): its campaigns only, through ami_servers above; its campaigns
    # pause while its PBX is unreachable. None: every site's campaigns (a single-site installation).
    site: str | None = None
    speed: float = Field(1.0, gt=0)       # clock speed for demos and tests (1 = real time)
    # At start, with calls in flight or agent sessions left by a crash, how long (real seconds) to wait for every
    # PBX server to answer before recovery; one still down then stops the start (dialer.recovery: fail closed).
    pbx_wait_s: float = Field(30.0, ge=0, le=600)
    # An agent whose panels have all been gone (closed, or silent: no answer to the server's heartbeats)
    # this long on the engine's clock is paused as "disconnected" and routed no call (dialer.presence).
    panel_grace_s: float = Field(5.0, gt=0, le=300)
    # Dial strings on a real Asterisk (asterisk/README.md). A campaign has its own trunk; this one is the demo
    # campaign's: {number} is E.164 with '+', {digits} without it.
    trunk_template: str | None = None
    # An agent's phone when the user has no dial string of their own (and the demo's virtual agents):
    # {agent_id} is the user's id.
    agent_phone_template: str | None = None
    # SMS providers (sms.provider_settings): a JSON list of {name, kind, base_url, credentials, ...}
    sms_providers: Annotated[list[SmsProviderConfig], NoDecode] = Field(default_factory=list)
    # Survey prompts (surveys.prompts): the folder the dialer writes uploaded prompts to (None:
    # data_dir/sounds/surveys) and the same folder as Asterisk sees it (None: the same path; set it when
    # Asterisk runs elsewhere and the folder is shared with it, e.g. over NFS).
    survey_sounds_dir: Path | None = None
    survey_sounds_pbx_dir: str | None = None
    # Call recordings (dialer.recordings_desk): the folder the web server reads recordings from (None:
    # data_dir/recordings) and the same folder as Asterisk writes it (None: file names are sent relative, so
    # Asterisk writes under its spool's monitor folder; mount that folder here, e.g. over NFS or sshfs, or
    # copy it with rsync). recording_retention_days: how long a recording is kept when its campaign or queue and
    # the global policy say nothing (None: kept).
    recordings_dir: Path | None = None
    recordings_pbx_dir: str | None = None
    recording_retention_days: int | None = Field(None, ge=1)
    # Scheduled reports are mailed through this SMTP server (admin_ui.report_schedules); None: files only.
    # STARTTLS when smtp_starttls; a sign-in when smtp_user is set.
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "dialer@localhost"
    smtp_starttls: bool = False

    @field_validator("trunk_template", "agent_phone_template")
    @classmethod
    def _placeholders(cls, value: str | None, info: Any) -> str | None:
        if value in (None, ""):
            return None
        allowed = PLACEHOLDERS[info.field_name]
        used = placeholders(value)
        if unknown := used - set(allowed):
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; use {', '.join('{' + a + '}' for a in allowed)}")
        if not used:
            raise ValueError(f"must contain {' or '.join('{' + a + '}' for a in allowed)}")
        return value

    @field_validator("sms_providers", mode="before")
    @classmethod
    def _sms_providers_json(cls, value: Any) -> Any:
        return parse_providers(value)

    @field_validator("sms_providers")
    @classmethod
    def _sms_providers_unique(cls, value: list[SmsProviderConfig]) -> list[SmsProviderConfig]:
        return check_unique(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry), strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("database_url", "redis_url")
    @classmethod
    def _url_scheme(cls, value: str | None, info: Any) -> str | None:
        if value in (None, ""):
            return None
        allowed = ("postgres://", "postgresql://") if info.field_name == "database_url" else ("redis://", "rediss://", "unix://")
        if not value.startswith(allowed):
            raise ValueError(f"must start with one of {', '.join(allowed)}")
        return value

    @property
    def development(self) -> bool:
        return self.mode == "development"

    def session_secret(self) -> str:
        """The cookie-signing secret: explicit, or (development only) one kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        if not self.development:
            raise SettingsError("DIALER_SECRET_KEY must be set in production mode")
        path = self.data_dir / "dev-secret-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read settings from the TOML file (``config_file`` or ``$DIALER_CONFIG``) and the environment."""
    file_values: dict[str, Any] = {}
    path = config_file or os.environ.get("DIALER_CONFIG")
    if path:
        try:
            file_values = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise SettingsError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    env_keys = {k[len("DIALER_"):].lower() for k in os.environ if k.startswith("DIALER_")}
    values = {k: v for k, v in file_values.items() if k not in env_keys}
    values.update(overrides)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "DIALER_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else "settings"
        raise SettingsError(f"{name}: {err['msg']}") from None
    settings.data_dir = settings.data_dir.expanduser().resolve()
    if not settings.development and not settings.secret_key:
        raise SettingsError("DIALER_SECRET_KEY must be set in production mode")
    cost = password_cost.chosen()
    if cost not in password_cost.NAMES:
        raise SettingsError(f"{password_cost.ENV} must be one of {', '.join(password_cost.NAMES)}, not {cost!r}")
    if not settings.development and cost != password_cost.RECOMMENDED:
        raise SettingsError(f"{password_cost.ENV}={cost} is for test suites: production mode hashes "
                            "passwords at argon2's recommended cost")
    return settings
