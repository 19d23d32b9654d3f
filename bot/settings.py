"""All configuration, read once from the environment or `.env` and handed down."""

from datetime import date
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REAL_WECHAT_API = "https://api.weixin.qq.com"
RegionCode = Annotated[str, StringConstraints(pattern=r"^41\d{4}$")]  # GB/T 2260, in Henan


class RegionalSigning(BaseModel):
    """A region's own PDF signing certificate, once its seal is filed: a PKCS#12 file and its password."""

    p12: Path
    password: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    wechat_token: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    # The 43-character EncodingAESKey of safe mode (encrypt_type=aes).
    wechat_aes_key: str = ""
    # plain: WeChat's 明文模式, the URL signature is the only check (it covers no part of the body).
    # compat / safe: 兼容模式 / 安全模式; every POST must be encrypted and carry msg_signature over the
    # ciphertext, and the message is read from the ciphertext only. Default: safe with a key, plain without.
    wechat_encryption: Literal["plain", "compat", "safe"] | None = None
    wechat_api_url: str = REAL_WECHAT_API
    # Optional: POSTs to /wechat from anywhere else are refused (CIDR ranges, as JSON; `jxjy wechat
    # callback-ips` prints WeChat's current list). Empty: any address, the signature being the check.
    wechat_callback_ips: list[IPv4Network | IPv6Network] = []

    database_url: str = "sqlite://var/jxjy.sqlite3"
    # redis://host:6379/0: retry replies, user locks, nonces, rate limits and the access_token are shared there,
    # so the service may run as several processes. Empty: they live in the one process (`--workers 1` only).
    redis_url: str = ""
    redis_prefix: str = "jxjy:"  # every key starts with this: two services can share one Redis
    public_url: str = "http://127.0.0.1:8080"
    secret_key: str = Field(min_length=16)

    # Requests whose timestamp is further than this from our clock are refused (replay window).
    signature_max_age_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    dialog_idle_minutes: int = 30

    # Template message ids (模板消息). Where one is empty, a customer-service text is sent instead.
    template_declaration_submitted: str = ""
    template_declaration_decided: str = ""
    template_hours_recorded: str = ""  # hours transferred from paper or imported for the person
    template_paperwork: str = ""  # an admin's next step in the seal application or the admins' filing
    template_hours_reminder: str = ""  # an admin's reminder to someone behind on a year's hours
    outbox_poll_seconds: float = 1.0
    # A notification WeChat keeps refusing (an outage, say) is retried with backoff, for this long.
    outbox_give_up_hours: int = 48
    admin_invite_hours: int = 72
    # After an unbinding, the person rebinds with a one-time code the admin hands over; it works this many days.
    rebind_code_days: int = 3
    # Registrations that hit an ID number already registered (a rebinding try, right or wrong): at most this
    # many in any hour per WeChat account, and per ID number, so neither a code nor a name can be guessed.
    rebind_attempts_per_account_hour: int = 5
    rebind_attempts_per_id_number_hour: int = 5
    # Wrong, spent or expired admin invite codes tried from one WeChat account in any hour, so none can be guessed.
    invite_failures_per_account_hour: int = Field(default=10, ge=1)

    # Certificates
    holder_link_days: int = 7  # the holder's link carries full personal data: it expires
    pdf_engine: Literal["weasyprint", "wkhtmltopdf"] = "weasyprint"
    verify_limit_per_minute: int = 20  # failed verifications per client (IP or openid)
    # Failed verifications in the chat per number looked up (whichever accounts ask), and in all.
    verify_failures_per_number_per_minute: int = Field(default=5, ge=1)
    verify_failures_total_per_minute: int = Field(default=300, ge=1)
    # Reverse proxies whose X-Forwarded-For names the real client (for the verification page's rate limit).
    trusted_proxies: list[str] = ["127.0.0.1", "::1"]

    # Keys that make a certificate prove itself (README, "Signing keys"); `jxjy keys init` writes test ones here.
    signing_p12: Path = Path("var/keys/signing.p12")  # the PDF signing certificate, key and chain (PKCS#12)
    signing_p12_password: str = ""
    timestamp_url: str = ""  # an RFC 3161 timestamp authority: PDFs are signed PAdES B-T instead of B-B
    # A region's own signing certificate once its seal is filed, by region code, as JSON:
    # {"410100": {"p12": "/etc/jxjy/keys/zhengzhou.p12", "password": "…"}}. Other regions sign with SIGNING_P12.
    regional_signing: dict[RegionCode, RegionalSigning] = {}
    qr_signing_key: Path = Path("var/keys/qr-ed25519.pem")  # Ed25519 private key (PEM, PKCS#8)
    # Public keys (PEM) of QR keys no longer used to sign, still published so their QR codes verify, as JSON.
    qr_retired_keys: list[Path] = []

    # Admin console
    console_link_minutes: int = 10  # the one-time sign-in link sent in the chat
    console_idle_minutes: int = 30
    query_rows_per_day: int = Field(default=20_000, ge=1)  # batch-query rows per admin per day (Beijing time)

    # Dates of the notice: configuration, not code.
    pilot_start: date = date(2017, 9, 15)  # Zhengzhou; the console's paperwork starts with its year
    paper_certificates_void_after: date = date(2019, 10, 30)

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_is_43_characters(cls, value: str) -> str:
        if value and len(value) != 43:
            raise ValueError("WECHAT_AES_KEY must be exactly 43 characters (the EncodingAESKey)")
        return value

    @field_validator("regional_signing")
    @classmethod
    def _regions_only(cls, value: dict[str, RegionalSigning]) -> dict[str, RegionalSigning]:
        if "410000" in value:
            raise ValueError("REGIONAL_SIGNING is for regions; the province's certificate is SIGNING_P12")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_scheme(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            value = "postgres://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgres://")):
            raise ValueError("DATABASE_URL must start with sqlite:// or postgres://")
        return value

    @model_validator(mode="after")
    def _encryption_needs_its_key(self) -> "Settings":
        if self.wechat_encryption is None:
            self.wechat_encryption = "safe" if self.wechat_aes_key else "plain"
        if self.wechat_encryption != "plain" and not self.wechat_aes_key:
            raise ValueError(f"WECHAT_ENCRYPTION={self.wechat_encryption} needs WECHAT_AES_KEY (the EncodingAESKey)")
        return self

    @property
    def safe_mode(self) -> bool:
        """Encrypted POSTs can be read (and their replies encrypted)."""
        return bool(self.wechat_aes_key)

    @property
    def encrypted_only(self) -> bool:
        """Plaintext POSTs are refused: the body must be bound by msg_signature."""
        return self.wechat_encryption in ("compat", "safe")


# Where the app keeps its Settings, for the pages that need one of them.
SETTINGS = web.AppKey("settings", Settings)
