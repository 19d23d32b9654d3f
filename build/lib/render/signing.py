"""The signed PDF: PAdES B-B (B-T with a timestamp authority) by the issuing body's certificate, with pyHanko.

Pure like the renderers: PDF bytes and a signer in, signed bytes out. The signature field is invisible: the
seal printed on the page is its appearance, not a second box. Signing is not deterministic (the signing time,
a timestamp token, a fresh file identifier), so the signed bytes are made once per snapshot and stored.
"""

import io
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko_certvalidator.registry import SimpleCertificateStore

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

FIELD_NAME = "Signature1"
# Room for the CMS container: the certificate chain and a signature, and a timestamp token with its own chain.
# Reserved up front, so pyHanko does not sign a dummy first to measure it (that doubled the signing time).
_RESERVED_BYTES = 12_000
_RESERVED_WITH_TIMESTAMP = 24_000


class _Signer(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key for every signature (50 ms for RSA); keep it parsed."""

    def __init__(self, key: PrivateKey, **kwargs: Any) -> None:
        super().__init__(signing_key=_asn1_key(key), **kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


@dataclass(frozen=True)
class PdfSigner:
    """An issuing body's signing certificate and key, loaded once at start-up."""

    signer: signers.SimpleSigner
    subject: str  # the certificate's common name
    fingerprint: str  # SHA-256 of the certificate, hex: names the key that signed a stored PDF
    is_test: bool  # issued by the test CA of `jxjy keys init`
    timestamp_url: str = ""  # an RFC 3161 timestamp authority: B-T instead of B-B

    @classmethod
    def build(
        cls,
        key: PrivateKey,
        certificate: x509.Certificate,
        chain: list[x509.Certificate],
        *,
        is_test: bool,
        timestamp_url: str = "",
    ) -> "PdfSigner":
        """From what a PKCS#12 file holds: the key, its certificate and the chain up to the CA."""
        registry = SimpleCertificateStore()
        registry.register_multiple([_asn1_certificate(c) for c in chain])
        signer = _Signer(key, signing_cert=_asn1_certificate(certificate), cert_registry=registry)
        return cls(
            signer=signer,
            subject=signer.signing_cert.subject.native.get("common_name", ""),
            fingerprint=signer.signing_cert.sha256.hex(),
            is_test=is_test,
            timestamp_url=timestamp_url,
        )


def _asn1_key(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def sign_pdf(pdf: bytes, signer: PdfSigner) -> bytes:
    """`pdf` with an invisible PAdES signature covering the whole document."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        location="河南省",
        reason="河南省专业技术人员继续教育电子证书",
    )
    timestamper = timestamps.HTTPTimeStamper(signer.timestamp_url) if signer.timestamp_url else None
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer.signer,
        timestamper=timestamper,
        # No box: an invisible field, so viewers list the signature without drawing anything over the page.
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, box=None),
    )
    reserved = _RESERVED_WITH_TIMESTAMP if timestamper else _RESERVED_BYTES
    return pdf_signer.sign_pdf(writer, bytes_reserved=reserved).getvalue()
