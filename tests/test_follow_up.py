"""未达标人员: a unit's HR clerk sees who has not met this year's requirement and what each still needs, exports
the list, and reminds them in WeChat — the count confirmed first, never more than once a week per person."""

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from storage.follow_up import Where, people_behind, send_reminders
from storage.models import Admin, AuditEntry, Category, HoursReminder, Outbox, Person
from tests.console import sign_in
from tests.domain import a_registered_person, hours_of

YEAR = datetime.now(UTC).year


async def a_unit_with_people_behind(world) -> dict[str, Person]:
    """孙丽 has nothing approved; 王强 has 50 公需 hours (only 30 count) and 20 专业; 李娜 has met the year; 赵磊
    has no WeChat bound; a neighbour unit's 陈晨 is behind too."""
    home = world["home"]
    people = {
        "孙丽": world["person"],
        "王强": await a_registered_person("o_wang", name="王强", unit=home),
        "李娜": await a_registered_person("o_li", name="李娜", unit=home),
        "赵磊": await a_registered_person("o_zhao", name="赵磊", unit=home),
        "陈晨": await a_registered_person("o_chen", name="陈晨", unit=world["neighbour"]),
    }
    await hours_of(people["王强"], YEAR, Category.PUBLIC, "50")
    await hours_of(people["王强"], YEAR, Category.PROFESSIONAL, "20")
    await hours_of(people["李娜"], YEAR, Category.PUBLIC, "30")
    await hours_of(people["李娜"], YEAR, Category.PROFESSIONAL, "60")
    await Person.filter(id=people["赵磊"].id).update(openid=None)
    return people


async def test_a_unit_clerk_sees_who_is_behind_and_what_each_still_needs(console_service, world):
    await a_unit_with_people_behind(world)
    clerk = await sign_in(console_service, "o_home")
    status, html = await clerk.get("/admin/follow-up")
    assert status == 200
    assert f"{YEAR} 年度未达到学时要求：<strong>3</strong> 人，其中 <strong>2</strong> 人可接收微信提醒" in html
    assert "孙丽" in html and "王强" in html and "赵磊" in html and "未绑定微信" in html
    assert "李娜" not in html and "陈晨" not in html  # met the year; another unit's
    # 王强: 50 公需 hours of which 30 count, plus 20 专业 = 50 of 90; still 40 专业 needed
    assert "<td>50</td><td>20</td><td>70</td><td>50/90</td>" in re.sub(r">\s+<", "><", html)
    assert "注：公需科目超过 30 学时的部分不计入年度要求。" in html
    assert "还需 40 学时，其中专业科目至少 40 学时" in html
    assert "还需 90 学时，其中专业科目至少 60 学时" in html  # 孙丽's declaration is still pending: it does not count
    assert await AuditEntry.filter(action="read:follow_up").exists()
    await clerk.close()


async def test_the_export_has_the_same_people_and_no_live_formula(console_service, world):
    people = await a_unit_with_people_behind(world)
    await Person.filter(id=people["赵磊"].id).update(name="=HYPERLINK(1)")
    clerk = await sign_in(console_service, "o_home")
    status, data, _ = await clerk.get_bytes("/admin/follow-up/export.xlsx", year=str(YEAR))
    assert status == 200
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "证书管理号", "单位")
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["孙丽", "王强", "'=HYPERLINK(1)"])
    entry = await AuditEntry.get(action="export:follow_up")
    assert entry.after == {"rows": 3}
    await clerk.close()


async def test_reminders_go_after_the_count_is_confirmed_and_once_a_week_at_most(console_service, world):
    await a_unit_with_people_behind(world)
    clerk = await sign_in(console_service, "o_home")
    form = {"year": YEAR, "unit": world["home"].id}

    status, html = await clerk.post("/admin/follow-up/remind", form)
    assert status == 200 and "将向 2 人发送学时提醒，确定发送吗？" in html
    assert not await Outbox.filter(kind="hours_reminder").exists()  # asking is not sending

    status, html = await clerk.post("/admin/follow-up/remind", form | {"confirm": "1"})
    assert status == 200 and "已向 2 人发送学时提醒。" in html
    await console_service.deliver()
    [to_wang] = await console_service.pushed_texts("o_wang")
    assert to_wang.startswith(f"【学时提醒】王强，您 {YEAR} 年的继续教育学时尚未达到年度要求：已计入 50/90 学时")
    assert "还需 40 学时，其中专业科目至少 40 学时" in to_wang and "发送“学时”" in to_wang
    assert len(await console_service.pushed_texts("o_person")) == 1
    assert await console_service.pushed_texts("o_li") == [] and await console_service.pushed_texts("o_chen") == []

    status, html = await clerk.post("/admin/follow-up/remind", form | {"confirm": "1"})
    assert "没有可提醒的人员" in html
    assert await HoursReminder.all().count() == 2
    entries = await AuditEntry.filter(action="reminders_sent").order_by("id").values_list("after", flat=True)
    assert [e["people"] for e in entries] == [2, 0]
    await clerk.close()


async def test_a_week_later_they_can_be_reminded_again(console_service, world):
    await a_unit_with_people_behind(world)
    clerk = await Admin.get(openid="o_home")
    where, now = Where(unit_id=world["home"].id), datetime.now(UTC)
    assert await send_reminders(clerk, YEAR, where, now) == 2
    assert await send_reminders(clerk, YEAR, where, now + timedelta(days=6, hours=23)) == 0
    assert await send_reminders(clerk, YEAR, where, now + timedelta(days=7, minutes=1)) == 2


async def test_two_clerks_pressing_at_once_send_one_reminder_each(console_service, world):
    await a_unit_with_people_behind(world)
    clerk, region = await Admin.get(openid="o_home"), await Admin.get(openid="o_zhengzhou")
    now = datetime.now(UTC)
    sent = await asyncio.gather(
        send_reminders(clerk, YEAR, Where(unit_id=world["home"].id), now),
        send_reminders(region, YEAR, Where(unit_id=world["home"].id), now),
    )
    assert sum(sent) == 2 and await Outbox.filter(kind="hours_reminder").count() == 2


async def test_the_province_chooses_a_region_and_nobody_reaches_beyond_their_scope(console_service, world):
    await a_unit_with_people_behind(world)
    province = await sign_in(console_service, "o_province")
    status, html = await province.get("/admin/follow-up")
    assert status == 200 and "请先选择地区或单位。" in html and "孙丽" not in html
    status, html = await province.get("/admin/follow-up", region="410100")
    assert "孙丽" in html and "陈晨" in html and "<strong>4</strong> 人" in html
    status, _ = await province.post("/admin/follow-up/remind", {"year": YEAR, "confirm": "1"})
    assert status == 200 and not await Outbox.filter(kind="hours_reminder").exists()

    luoyang = await sign_in(console_service, "o_luoyang")
    status, html = await luoyang.get("/admin/follow-up", region="410100")
    assert status == 403 and "孙丽" not in html
    status, html = await luoyang.get("/admin/follow-up", unit=str(world["home"].id))
    assert status == 403 and "孙丽" not in html
    status, _ = await luoyang.post("/admin/follow-up/remind", {"year": YEAR, "unit": world["home"].id, "confirm": "1"})
    assert status == 403 and not await Outbox.filter(kind="hours_reminder").exists()

    neighbour = await sign_in(console_service, "o_neighbour")
    status, html = await neighbour.get("/admin/follow-up", unit=str(world["home"].id))
    assert status == 403
    status, html = await neighbour.get("/admin/follow-up")
    assert "陈晨" in html and "孙丽" not in html
    for browser in (province, luoyang, neighbour):
        await browser.close()


async def test_hostile_parameters_are_answered_calmly(console_service, world):
    await a_unit_with_people_behind(world)
    clerk = await sign_in(console_service, "o_home")
    for params in ({"year": "abc"}, {"year": "9" * 400}, {"page": "-3"}, {"page": "9" * 50}, {"unit": "x"}):
        status, html = await clerk.get("/admin/follow-up", **params)
        assert status == 200 and "未达到学时要求" in html
    async with clerk.session.post(clerk.url("/admin/follow-up/remind"), data={"confirm": "1"}) as response:
        assert response.status == 403  # no CSRF token
    assert not await Outbox.filter(kind="hours_reminder").exists()
    await clerk.close()


async def test_people_behind_is_empty_for_a_province_that_chose_nothing(console_service, world):
    await a_unit_with_people_behind(world)
    province = await Admin.get(openid="o_province")
    assert await people_behind(province, YEAR, Where(), datetime.now(UTC)) == []
