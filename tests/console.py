"""Driving the admin console as an admin's phone would: sign in from the chat link, keep the cookie, post
forms with their CSRF token."""

import re
from dataclasses import dataclass

import aiohttp
from yarl import URL

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/admin/login/\S+)")
REBIND_CODE = re.compile(r"<strong>([2-9A-Z]{8})</strong>")  # shown once on the person's page


@dataclass
class ConsoleBrowser:
    service: object
    session: aiohttp.ClientSession
    csrf: str = ""

    def url(self, path: str) -> URL:
        return self.service.client.make_url(path)

    async def get(self, path: str, **params) -> tuple[int, str]:
        async with self.session.get(self.url(path), params=params) as response:
            text = await response.text(errors="replace")
            if found := CSRF.search(text):
                self.csrf = found[1]
            return response.status, text

    async def get_bytes(self, path: str, **params) -> tuple[int, bytes, str]:
        async with self.session.get(self.url(path), params=params) as response:
            return response.status, await response.read(), response.content_type

    async def post(self, path: str, data: dict | list | None = None, files: dict | None = None) -> tuple[int, str]:
        if not self.csrf:
            await self.get("/admin/")
        form = aiohttp.FormData()
        form.add_field("csrf", self.csrf)
        for key, value in data.items() if isinstance(data, dict) else (data or []):
            form.add_field(key, str(value))
        for key, (filename, content) in (files or {}).items():
            form.add_field(key, content, filename=filename)
        async with self.session.post(self.url(path), data=form) as response:
            return response.status, await response.text(errors="replace")

    async def close(self) -> None:
        await self.session.close()


async def sign_in(service, openid: str) -> ConsoleBrowser:
    """Send 后台 in the chat as this admin and open the link it returns."""
    reply = await service.user(openid).says("后台")
    link = LINK.search(reply)
    assert link, reply
    browser = ConsoleBrowser(service, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
    path = URL(link[1]).path
    status, html = await browser.get(path)
    assert status == 200 and "进入管理后台" in html, status
    async with browser.session.post(browser.url(path)) as response:  # the button
        assert response.status == 200 and response.url.path == "/admin/", response.status
    return browser


def anonymous(service) -> ConsoleBrowser:
    return ConsoleBrowser(service, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
