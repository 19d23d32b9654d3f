"""Texts that quote a setting say what the setting says, and the notice's dates are read from Settings."""

from datetime import date

from storage.models import TrainingPlan
from tests.conftest import make_settings, running_service
from tests.console import anonymous, sign_in
from tests.domain import a_unit, an_admin


async def test_the_console_asks_to_sign_in_again_quoting_the_links_configured_lifetime(database_url):
    settings = make_settings(database_url, public_url="http://127.0.0.1", console_link_minutes=5)
    async with running_service(settings) as service:
        stranger = anonymous(service)
        status, html = await stranger.get("/admin/")
        assert status == 401 and "链接 5 分钟内有效" in html
        await stranger.close()
        await an_admin("o_home", "unit", unit=await a_unit())
        assert "5 分钟内有效" in await service.user("o_home").says("后台")


async def test_training_plans_start_in_the_year_the_configured_pilot_began(database_url):
    settings = make_settings(database_url, public_url="http://127.0.0.1", pilot_start=date(2018, 3, 1))
    async with running_service(settings) as service:
        await an_admin("o_home", "unit", unit=await a_unit())
        browser = await sign_in(service, "o_home")
        _, html = await browser.post("/admin/plans", {"year": 2017, "text": "一、培训目标：全员完成 90 学时。"})
        assert "年度应在 2018 年至明年之间" in html
        assert not await TrainingPlan.exists()
        _, html = await browser.post("/admin/plans", {"year": 2018, "text": "一、培训目标：全员完成 90 学时。"})
        assert "已报备" in html
        await browser.close()
