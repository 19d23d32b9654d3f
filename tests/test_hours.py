"""学时查询: approved hours by year and category against the policy; pending and rejected counted apart."""

from datetime import datetime

from handlers.chat import CHINA
from storage.hours import forget_policies, hours_overview, policy_for
from storage.models import Category, HoursPolicy, RecordStatus
from tests.domain import a_registered_person, a_unit, hours_of

PUBLIC, PROFESSIONAL = Category.PUBLIC, Category.PROFESSIONAL


def this_year() -> int:
    return datetime.now(CHINA).year


async def test_lookup_counts_only_approved_hours_across_two_years(service):
    year, last_year = this_year(), this_year() - 1
    person = await a_registered_person("o_hours", name="刘洋")
    await hours_of(person, last_year, PUBLIC, "30")
    await hours_of(person, last_year, PROFESSIONAL, "64.5")
    await hours_of(person, year, PUBLIC, "12")
    await hours_of(person, year, PROFESSIONAL, "20.5")
    await hours_of(person, year, PROFESSIONAL, "40", status=RecordStatus.PENDING)
    await hours_of(person, year, PROFESSIONAL, "8", status=RecordStatus.PENDING)
    await hours_of(person, year, PUBLIC, "6", status=RecordStatus.REJECTED)

    reply = await service.user("o_hours").says("学时")

    assert f"刘洋，您的继续教育学时（证书管理号 {person.cert_number}）" in reply
    assert f"{year} 年：公需科目 12 学时，专业科目 20.5 学时，计入 32.5/90 学时" in reply
    assert "本年度还需 57.5 学时，其中专业科目至少还需 39.5 学时" in reply
    assert f"{last_year} 年：公需科目 30 学时，专业科目 64.5 学时，计入 94.5/90 学时" in reply
    assert "✔ 已达到年度要求" in reply
    assert "另有 2 条申报正在审核，1 条未通过审核" in reply
    assert reply.index(f"{year} 年") < reply.index(f"{last_year} 年")  # newest first


async def test_public_hours_beyond_their_share_do_not_make_up_for_professional_hours(service):
    person = await a_registered_person("o_pub")
    await hours_of(person, this_year(), PUBLIC, "90")
    reply = await service.user("o_pub").says("查询学时")
    assert "计入 30/90 学时" in reply
    assert "本年度还需 60 学时，其中专业科目至少还需 60 学时" in reply


async def test_a_past_year_short_of_the_policy_says_by_how_much(service):
    person = await a_registered_person("o_past")
    await hours_of(person, this_year() - 2, PROFESSIONAL, "50")
    reply = await service.user("o_past").clicks("HOURS")
    assert f"{this_year() - 2} 年" in reply and "未达到年度要求，差 40 学时" in reply


async def test_someone_not_registered_is_told_how_to_register(service):
    reply = await service.user("o_stranger").says("学时")
    assert "还没有注册" in reply and "注册" in reply


async def test_a_person_with_no_hours_sees_this_year_and_the_policy(service):
    await a_registered_person("o_new")
    reply = await service.user("o_new").says("学时")
    assert f"{this_year()} 年：公需科目 0 学时，专业科目 0 学时，计入 0/90 学时" in reply
    assert "每年不少于 90 学时，其中专业科目不少于 60 学时" in reply
    assert "正在审核" not in reply


async def test_the_policy_table_lets_a_region_or_a_year_differ(service):
    await HoursPolicy.create(year=2030, region_code=None, total_hours=72, professional_min_hours=48)
    await HoursPolicy.create(year=None, region_code="410300", total_hours=100, professional_min_hours=70)
    await HoursPolicy.create(year=2030, region_code="410300", total_hours=80, professional_min_hours=50)
    forget_policies()
    assert (await policy_for(2029, "410100")).total_hours == 90
    assert (await policy_for(2030, "410100")).total_hours == 72
    assert (await policy_for(2029, "410300")).total_hours == 100
    assert (await policy_for(2030, "410300")).total_hours == 80

    person = await a_registered_person("o_luoyang", unit=await a_unit(region="410300"))
    await hours_of(person, 2029, PROFESSIONAL, "70")
    overview = await hours_overview(person.id, 2029)
    assert overview.years[0].policy.total_hours == 100
    assert overview.years[0].missing_total == 30
