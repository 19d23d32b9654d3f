"""Pay the one-off start-up costs (Pango, fontconfig, font files, the seal) before the first real request."""

from datetime import date
from decimal import Decimal

from render.certificate import Category, Certificate, HoursRecord, RecordSource, YearHours
from render.pdf import certificate_pdf
from render.png import certificate_png
from render.signing import PdfSigner, sign_pdf
from storage.vocabulary import PROVINCE_ISSUER


def warm_up(issuers: tuple[str, ...] = (PROVINCE_ISSUER,), signer: PdfSigner | None = None) -> None:
    """Render (and sign, given a signer: pyHanko's first signature loads its modules) a throwaway certificate per
    issuer, uncached; about a second at start-up, run it in a thread."""
    record = HoursRecord(Category.PUBLIC, "预热", "预热", Decimal(1), RecordSource.DECLARED)
    for issuer in issuers:
        data = Certificate(
            holder_name="预热",
            gender="男",
            id_number="",
            cert_number="0" * 16,
            unit="",
            region="",
            years=(YearHours(2000, (record,), Decimal(90), Decimal(60)),),
            issuer=issuer,
            issued_on=date(2000, 1, 1),
            snapshot="warm",
            verify_url="https://example.invalid/v/warm",
        )
        certificate_png(data)
        pdf = certificate_pdf(data)
        if signer is not None:
            sign_pdf(pdf, signer)
