"""The keys that make certificates prove themselves, read once at start-up from the files settings name.

- the PDF signing certificate: a PKCS#12 file (key, certificate, chain) and its password; the province's, and
  a region's own once its seal is filed (REGIONAL_SIGNING);
- the QR key: an Ed25519 private key (PEM, PKCS#8), and the retired ones' public keys (PEM), still published
  so QR codes signed with them keep verifying.

A configured key that is missing, unreadable or expired stops start-up (`KeyProblem`): better no service than
unsigned certificates. `init_test_keys` (`jxjy keys init`) makes a clearly named test CA, a signing certificate
it issued and a QR key, for local runs and tests only; whatever carries them is marked 测试证书.
"""

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from bot.settings import Settings
from handlers.qr_token import FORMAT, PROVINCE_REGION, PublicKey, SigningKey
from render.signing import PdfSigner

TEST_CA_NAME = "jxjy 测试 CA — 非正式"
TEST_SIGNER_NAME = "河南省人力资源和社会保障厅（测试）"  # a common name holds at most 64 bytes
# The first line of a test QR key's PEM file; text before "-----BEGIN" is ignored by PEM readers.
TEST_KEY_MARK = "jxjy 测试密钥 — 非正式 (test key, not for production)"
_TEST_VALID_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # so snapshots issued before `keys init` sign too
_TEST_VALID_DAYS = 10 * 365


class KeyProblem(Exception):
    """A configured key cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class Keys:
    pdf: PdfSigner  # the province's signing certificate
    qr: SigningKey
    retired: tuple[PublicKey, ...] = ()
    # Per region (region code → signer), once a region's seal is filed with its own certificate
    # (REGIONAL_SIGNING); a region without one signs with the province's, as its seal falls back to the province's.
    regional: dict[str, PdfSigner] = field(default_factory=dict)

    def pdf_signer_for(self, seal_region: str | None) -> PdfSigner:
        return self.regional.get(seal_region or "", self.pdf)

    @property
    def published(self) -> tuple[PublicKey, ...]:
        return (self.qr.public, *self.retired)

    def by_kid(self) -> dict[str, PublicKey]:
        return {key.kid: key for key in self.published}

    @property
    def is_test(self) -> bool:
        return self.qr.is_test or any(signer.is_test for signer in self.pdf_signers.values())

    @property
    def pdf_signers(self) -> dict[str, PdfSigner]:
        """Every signing certificate by the region it signs for, the province's first."""
        return {PROVINCE_REGION: self.pdf, **self.regional}

    def published_json(self) -> dict[str, object]:
        """What `/.well-known/jxjy-keys.json` serves: QR keys by id (old ones stay) and the signing certificates."""
        return {
            "format": FORMAT,
            "keys": [key.as_json() for key in self.published],
            "pdf_signing_certificates": [
                _certificate_json(region, signer) for region, signer in self.pdf_signers.items()
            ],
        }


def _certificate_json(region: str, signer: PdfSigner) -> dict[str, object]:
    certificate = signer.signer.signing_cert
    return {
        "region": region,
        "subject": certificate.subject.human_friendly,
        "sha256": signer.fingerprint,
        "test": signer.is_test,
        "chain_pem": [_pem(c.dump()) for c in [certificate, *signer.signer.cert_registry]],
    }


def _pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def load_keys(settings: Settings, now: dt.datetime | None = None) -> Keys:
    now = now or dt.datetime.now(dt.UTC)
    pdf = _load_pdf_signer(
        settings.signing_p12,
        settings.signing_p12_password,
        settings.timestamp_url,
        now,
        what="签章证书（SIGNING_P12）",
        password_setting="SIGNING_P12_PASSWORD",
    )
    regional = {
        region: _load_pdf_signer(
            signing.p12,
            signing.password,
            settings.timestamp_url,
            now,
            what=f"{region} 的签章证书（REGIONAL_SIGNING）",
            password_setting=f"REGIONAL_SIGNING 中 {region} 的 password",
        )
        for region, signing in settings.regional_signing.items()
    }
    qr = _load_qr_key(settings.qr_signing_key)
    retired = tuple(_load_retired(path) for path in settings.qr_retired_keys)
    return Keys(pdf=pdf, qr=qr, retired=retired, regional=regional)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyProblem(
            f"找不到{what} {path}。本地试用请运行 `jxjy keys init` 生成测试证书；正式部署见 README“签名证书”。"
        ) from None
    except OSError as error:
        raise KeyProblem(f"无法读取{what} {path}：{error.strerror}") from None


def _load_pdf_signer(
    path: Path, password: str, timestamp_url: str, now: dt.datetime, *, what: str, password_setting: str
) -> PdfSigner:
    data = _read(path, what)
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError:
        raise KeyProblem(f"签章证书 {path} 无法打开：不是 PKCS#12 文件，或 {password_setting} 不对。") from None
    if key is None or certificate is None:
        raise KeyProblem(f"签章证书 {path} 中缺少私钥或证书。")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyProblem(f"签章证书 {path} 的密钥类型不受支持（需 RSA 或 ECDSA）。")
    if certificate.not_valid_after_utc < now:
        raise KeyProblem(f"签章证书 {path} 已于 {certificate.not_valid_after_utc:%Y-%m-%d} 过期，请更换证书。")
    if certificate.not_valid_before_utc > now:
        raise KeyProblem(f"签章证书 {path} 自 {certificate.not_valid_before_utc:%Y-%m-%d} 起才生效。")
    return PdfSigner.build(key, certificate, list(chain), is_test=_is_test(certificate), timestamp_url=timestamp_url)


def _is_test(certificate: x509.Certificate) -> bool:
    names = certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return any(name.value == TEST_CA_NAME for name in names)


def _load_qr_key(path: Path) -> SigningKey:
    data = _read(path, "二维码签名密钥（QR_SIGNING_KEY）")
    try:
        key = serialization.load_pem_private_key(data[data.find(b"-----BEGIN") :], password=None)
    except (ValueError, TypeError):
        raise KeyProblem(f"二维码签名密钥 {path} 无法读取：需为未加密的 PEM（PKCS#8）Ed25519 私钥。") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"二维码签名密钥 {path} 不是 Ed25519 密钥。")
    return SigningKey(key, is_test=TEST_KEY_MARK.encode() in data)


def _load_retired(path: Path) -> PublicKey:
    data = _read(path, "已停用的二维码公钥（QR_RETIRED_KEYS）")
    try:
        key = serialization.load_pem_public_key(data[data.find(b"-----BEGIN") :])
    except ValueError:
        raise KeyProblem(f"已停用的二维码公钥 {path} 无法读取：需为 PEM 格式的 Ed25519 公钥。") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"已停用的二维码公钥 {path} 不是 Ed25519 公钥。")
    return PublicKey.of(key, is_test=TEST_KEY_MARK.encode() in data, retired=True)


# --- jxjy keys init: the test CA ---------------------------------------------------------------------


def init_test_keys(signing_p12: Path, password: str, qr_key: Path) -> list[Path]:
    """Create whichever test key is missing; never overwrite. Returns the files written."""
    written: list[Path] = []
    if not signing_p12.exists():
        written += _write_test_signing_certificate(signing_p12, password)
    if not qr_key.exists():
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_secret(qr_key, f"{TEST_KEY_MARK}\n".encode() + pem)
        public = qr_key.with_name(qr_key.stem + ".pub.pem")
        public.write_bytes(
            f"{TEST_KEY_MARK}\n".encode()
            + private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        written += [qr_key, public]
    return written


def _write_test_signing_certificate(path: Path, password: str) -> list[Path]:
    now = dt.datetime.now(dt.UTC)
    until = now + dt.timedelta(days=_TEST_VALID_DAYS)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_CA_NAME)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_TEST_VALID_FROM)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, TEST_SIGNER_NAME),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "测试证书，非正式"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_TEST_VALID_FROM)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    _write_secret(path, pkcs12.serialize_key_and_certificates(b"jxjy-test-signing", key, certificate, [ca], encryption))
    # The CA's certificate, to trust it in a PDF reader or a validator; its key is not kept.
    ca_file = path.with_name("test-ca.pem")
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return [path, ca_file]


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    names = (
        "digital_signature content_commitment key_encipherment data_encipherment key_agreement key_cert_sign "
        "crl_sign encipher_only decipher_only"
    ).split()
    return x509.KeyUsage(**{name: allowed.get(name, False) for name in names})


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
