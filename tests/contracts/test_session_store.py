"""What any console SessionStore must do, seen from browsers: begin, find again, end, expire when idle."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.contracts.conftest import SESSION_IDLE as IDLE


def _console(sessions) -> web.Application:
    """A console reduced to its session calls, under /admin where the console's cookies go."""
    app = web.Application()
    sessions.install(app)

    async def begin(request: web.Request) -> web.Response:
        admin_id = int(request.match_info["admin_id"])
        session = await sessions.begin(request, admin_id, csrf=f"csrf-{admin_id}")
        return web.json_response({"admin_id": session.admin_id, "csrf": session.csrf})

    async def current(request: web.Request) -> web.Response:
        session = await sessions.current(request)
        return web.json_response(None if session is None else {"admin_id": session.admin_id, "csrf": session.csrf})

    async def touch(request: web.Request) -> web.Response:
        await sessions.touch(request)
        return web.json_response(None)

    async def end(request: web.Request) -> web.Response:
        await sessions.end(request)
        return web.json_response(None)

    app.router.add_post("/admin/begin/{admin_id}", begin)
    app.router.add_get("/admin/current", current)
    app.router.add_post("/admin/touch", touch)
    app.router.add_post("/admin/end", end)
    return app


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def signs_in(self, admin_id: int) -> dict:
        return await (await self.client.post(f"/admin/begin/{admin_id}")).json()

    async def session(self) -> dict | None:
        return await (await self.client.get("/admin/current")).json()

    async def uses_it(self) -> None:
        await self.client.post("/admin/touch")

    async def signs_out(self) -> None:
        await self.client.post("/admin/end")


@asynccontextmanager
async def _browsers(sessions) -> AsyncIterator:
    server = TestServer(_console(sessions))
    async with TestClient(server) as first, TestClient(server) as second:
        yield Browser(first), Browser(second)


async def test_a_browser_that_never_signed_in_has_no_session(sessions):
    async with _browsers(sessions) as (browser, _other):
        assert await browser.session() is None


async def test_a_session_begun_is_found_again_with_its_admin_and_csrf_token(sessions):
    async with _browsers(sessions) as (browser, _other):
        assert await browser.signs_in(7) == {"admin_id": 7, "csrf": "csrf-7"}
        assert await browser.session() == {"admin_id": 7, "csrf": "csrf-7"}
        assert await browser.session() == {"admin_id": 7, "csrf": "csrf-7"}


async def test_another_browser_does_not_share_the_session(sessions):
    async with _browsers(sessions) as (browser, other):
        await browser.signs_in(7)
        assert await other.session() is None


async def test_signing_in_again_replaces_the_session(sessions):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        await browser.signs_in(8)
        assert await browser.session() == {"admin_id": 8, "csrf": "csrf-8"}


async def test_an_ended_session_is_gone(sessions):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        await browser.signs_out()
        assert await browser.session() is None


async def test_a_session_idle_for_longer_than_the_idle_time_is_over(sessions, clock):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        clock.advance(IDLE)
        assert await browser.session() is not None
        clock.advance(2)
        assert await browser.session() is None
        assert await browser.session() is None


async def test_using_a_session_starts_its_idle_time_again(sessions, clock):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        clock.advance(IDLE - 60)
        await browser.uses_it()
        clock.advance(IDLE - 60)
        assert await browser.session() == {"admin_id": 7, "csrf": "csrf-7"}


async def test_a_session_is_not_renewed_by_merely_looking_at_it(sessions, clock):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        clock.advance(IDLE - 60)
        assert await browser.session() is not None
        clock.advance(120)
        assert await browser.session() is None


async def test_an_altered_cookie_is_no_session(sessions):
    async with _browsers(sessions) as (browser, _other):
        await browser.signs_in(7)
        jar = browser.client.session.cookie_jar
        altered = {cookie.key: cookie.value[:-6] + ("A" * 6) for cookie in jar}
        jar.clear()
        jar.update_cookies(altered, browser.client.make_url("/admin/"))
        assert await browser.session() is None
