"""Every public link the service hands out, and the route each one lands on: one place for both.

bot/ registers its routes from these patterns; journeys and pages build links with `Urls`, never by hand.
"""

from dataclasses import dataclass

HOME = "/"  # the public verification page: by certificate number, or by ID number and name
VERIFICATION = "/v/{code}"  # an old snapshot code, or a signed QR token (handlers/qr_token.py)
PUBLISHED_KEYS = "/.well-known/jxjy-keys.json"  # the QR keys by id, old ones too, and the signing certificates
HOLDER_PAGE = "/c/{token}"
HOLDER_PNG = "/c/{token}/certificate.png"
HOLDER_PDF = "/c/{token}/certificate.pdf"
CONSOLE_SIGN_IN = "/admin/login/{token}"
CONSOLE_HOME = "/admin/"


@dataclass(frozen=True)
class Urls:
    """Absolute links under the service's public base (`PUBLIC_URL`)."""

    base: str = "http://127.0.0.1:8080"

    def home(self) -> str:
        return self.base + HOME

    def verification(self, code: str) -> str:
        return self.base + VERIFICATION.format(code=code)

    def published_keys(self) -> str:
        return self.base + PUBLISHED_KEYS

    def holder_page(self, token: str) -> str:
        return self.base + HOLDER_PAGE.format(token=token)

    def holder_png(self, token: str) -> str:
        return self.base + HOLDER_PNG.format(token=token)

    def holder_pdf(self, token: str) -> str:
        return self.base + HOLDER_PDF.format(token=token)

    def console_sign_in(self, token: str) -> str:
        return self.base + CONSOLE_SIGN_IN.format(token=token)
