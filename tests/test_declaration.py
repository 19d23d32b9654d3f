"""学时申报: a professional declares hours, the right admins hear of it, the record waits for review."""

from datetime import UTC, datetime

import pytest

from bot.wechat import endpoint
from handlers.chat import CHINA
from storage.models import AuditEntry, HourRecord, Outbox, RecordStatus
from tests.domain import a_registered_person, a_unit, an_admin


def this_year() -> int:
    return datetime.now(CHINA).year


async def _declare(
    user,
    *,
    year="今年",
    category="2",
    course="医学影像新进展",
    provider="郑州大学继续教育学院",
    on=None,
    hours="12",
    evidence=None,
) -> str:
    await user.says("申报")
    await user.says(year)
    await user.says(category)
    await user.says(course)
    await user.says(provider)
    await user.says(on or f"{this_year()}-03-15")
    await user.says(hours)
    if evidence:
        await user.sends("image")
    else:
        await user.says("跳过")
    return await user.says("确认")


async def test_a_professional_declares_hours_and_the_unit_admin_is_notified(service):
    unit = await a_unit("郑州市第一人民医院")
    person = await a_registered_person("o_decl", name="陈静", unit=unit)
    await an_admin("o_unit_admin", "unit", unit=unit)
    user = service.user("o_decl", safe=True)

    assert "第 1 步" in await user.says("申报")
    assert "第 2 步" in await user.says("今年")
    assert "第 3 步" in await user.says("专业")
    assert "第 4 步" in await user.says("医学影像新进展")
    assert "第 5 步" in await user.says("郑州大学继续教育学院")
    assert "第 6 步" in await user.says(f"{this_year()}年3月15日")
    assert "第 7 步" in await user.says("1.5")
    summary = await user.says("跳过")
    assert "专业科目" in summary and "1.5" in summary and f"{this_year()}-03-15" in summary
    done = await user.says("确认")

    record = await HourRecord.get(person_id=person.id)
    assert record.status == RecordStatus.PENDING and str(record.hours) == "1.5"
    assert f"申报编号 {record.id}" in done
    assert await AuditEntry.filter(action="declared", target=f"hour_record:{record.id}").exists()

    assert await service.deliver() == 1
    [notice] = await service.pushed_texts("o_unit_admin")
    assert "陈静" in notice and f"通过 {record.id}" in notice
    assert "1.5 学时" in notice


async def test_pending_hours_do_not_count_until_approved(service):
    await a_registered_person("o_decl")
    await _declare(service.user("o_decl"), hours="30")
    reply = await service.user("o_decl").says("学时")
    assert "计入 0/90" in reply and "另有 1 条申报正在审核" in reply


# A valid answer for each step of 申报, and the prompt that the next step opens with.
VALID_ANSWERS = ("今年", "1", "课程", "机构", f"{this_year()}-01-02", "2")
NEXT_PROMPTS = ("第 2 步", "第 3 步", "第 4 步", "第 5 步", "第 6 步", "第 7 步")


async def test_a_past_year_is_accepted_and_the_dialog_moves_on(service):
    await a_registered_person("o_decl")
    user = service.user("o_decl")
    await user.says("申报")
    assert "第 2 步" in await user.says("2019")


@pytest.mark.parametrize(
    ("step", "answer", "expected"),
    [
        (0, "1999", "年度应为"),
        (0, str(this_year() + 1), "年度应为"),
        (1, "3", "1（公需科目）或 2（专业科目）"),
        (2, "X", "2–100 个字"),
        (4, "昨天", "日期格式"),
        (4, f"{this_year() - 1}-12-31", "应在所申报的年度之内"),
        (4, f"{this_year()}-12-32", "12 月没有 32 日（这个月只有 31 天）"),
        (4, f"{this_year()}年13月1日", "没有 13 月这个月份"),
        (4, f"{this_year()}年2月30日", "2 月没有 30 日"),
        (5, "0", "大于 0"),
        (5, "1.25", "半学时"),
        (5, "500", "不超过 90"),
        (5, "很多", "半学时"),
    ],
)
async def test_each_bad_answer_is_explained_and_the_step_repeats(service, step, answer, expected):
    await a_registered_person("o_decl")
    user = service.user("o_decl")
    await user.says("申报")
    for earlier in VALID_ANSWERS[:step]:
        await user.says(earlier)
    reply = await user.says(answer)
    assert expected in reply and NEXT_PROMPTS[step] not in reply
    # the same step asks again: its valid answer is taken now and the dialog moves on
    assert NEXT_PROMPTS[step] in await user.says(VALID_ANSWERS[step])
    assert not await HourRecord.exists()


class _MidJune(datetime):
    """The service's clock on 15 June of this year, so a later date of the same year is in the future."""

    @classmethod
    def now(cls, tz=None):
        return datetime(this_year(), 6, 15, 4, 0, tzinfo=UTC).astimezone(tz)


async def test_a_date_in_the_future_is_refused(service, monkeypatch):
    monkeypatch.setattr(endpoint, "datetime", _MidJune)
    await a_registered_person("o_decl")
    user = service.user("o_decl")
    for answer in ("申报", "今年", "1", "课程名称", "机构名称"):
        await user.says(answer)
    reply = await user.says(f"{this_year()}-06-16")
    assert "不能晚于今天" in reply and "第 6 步" not in reply
    assert "第 6 步" in await user.says(f"{this_year()}-06-15")


async def test_someone_not_registered_cannot_declare(service):
    assert "请先注册" in await service.user("o_nobody").says("申报")


async def test_an_evidence_photo_is_kept_and_a_copy_fetched_through_the_api(service):
    unit = await a_unit()
    await a_registered_person("o_decl", unit=unit)
    await an_admin("o_admin", "unit", unit=unit)
    upload = await service.fake.post(
        "/cgi-bin/media/upload",
        params={"access_token": await _token(service), "type": "image"},
        data={"media": _png_bytes()},
    )
    media_id = (await upload.json())["media_id"]

    user = service.user("o_decl")
    for answer in ("申报", "今年", "1", "课程名称", "机构名称", f"{this_year()}-01-02", "2"):
        await user.says(answer)
    assert "已上传 1 张照片" in await user.sends_image(media_id)
    await user.says("确认")
    record = await HourRecord.get()
    assert record.evidence_media_id == media_id and record.evidence is None

    await service.deliver()
    await record.refresh_from_db()
    assert bytes(record.evidence) == _png_bytes()
    assert await Outbox.filter(kind="fetch_evidence", status="sent").count() == 1


async def _token(service) -> str:
    from tests.conftest import APP_SECRET, SAMPLE_APP_ID

    response = await service.fake.get(
        "/cgi-bin/token", params={"grant_type": "client_credential", "appid": SAMPLE_APP_ID, "secret": APP_SECRET}
    )
    return (await response.json())["access_token"]


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_person_lists_and_withdraws_their_pending_declaration(service):
    await a_registered_person("o_decl")
    user = service.user("o_decl")
    await _declare(user, course="公需课：数字经济")
    record = await HourRecord.get()
    listing = await user.says("我的申报")
    assert f"编号 {record.id}" in listing and "公需课：数字经济" in listing
    assert "已撤回" in await user.says(f"撤回 {record.id}")
    await record.refresh_from_db()
    assert record.status == RecordStatus.WITHDRAWN
    assert "没有待审核" in await user.says("我的申报")
    assert "没有找到" in await user.says(f"撤回 {record.id}")  # only once
    assert "撤回 12" in await user.says("撤回")


async def test_nobody_withdraws_someone_elses_declaration(service):
    await a_registered_person("o_owner")
    await a_registered_person("o_other")
    await _declare(service.user("o_owner"))
    record = await HourRecord.get()
    assert "没有找到" in await service.user("o_other").says(f"撤回 {record.id}")
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING


@pytest.mark.parametrize("text", ["撤回 ²", "撤回 99999999999999999999", "证书 ²²²²"])
async def test_odd_numbers_in_commands_get_a_sentence(service, text):
    await a_registered_person("o_decl")
    reply = await service.user("o_decl").says(text)
    assert "系统繁忙" not in reply


@pytest.mark.parametrize(
    ("typed", "stored"), [("12学时", "12.0"), ("12小时", "12.0"), ("1.5 学时", "1.5"), ("１２", "12.0")]
)
async def test_hours_are_taken_as_people_type_them(service, typed, stored):
    person = await a_registered_person("o_decl")
    await _declare(service.user("o_decl"), hours=typed)
    assert str((await HourRecord.get(person_id=person.id)).hours) == stored


async def test_a_withdrawal_typed_with_no_space_is_a_withdrawal(service):
    person = await a_registered_person("o_decl")
    user = service.user("o_decl")
    await _declare(user)
    record = await HourRecord.get(person_id=person.id)
    assert f"已撤回第 {record.id} 号申报" in await user.says(f"撤回{record.id}")


@pytest.mark.parametrize("course", ["证书管理实务", "学时2024年度培训", "证书2025年度专题", "申报12"])
async def test_a_course_named_like_a_command_stays_a_course(service, course):
    person = await a_registered_person("o_decl")
    assert "已提交" in await _declare(service.user("o_decl"), course=course)
    assert (await HourRecord.get(person_id=person.id)).course == course
