"""The audit log as a province official reads it: names instead of codes, Beijing time, each change field by field,
filters, pages, and a spreadsheet export that is itself audited; nobody below the province reads it."""

import ast
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

import storage.batch_query
from storage.audit import audit
from storage.ids import mask_cert_number, mask_id_number
from storage.models import AuditEntry
from storage.vocabulary import AUDIT_ACTION_NAMES
from tests.console import sign_in
from tests.domain import a_registered_person, an_admin

ROOT = Path(__file__).resolve().parent.parent
# Calls whose action is not written where they are: they pass on an action their own callers name.
FORWARDERS = {("storage/audit.py", "console_read"), ("storage/batch_query.py", "audit_query")}


def action_codes_in_the_code_base() -> tuple[set[str], list[str]]:
    """Every action code an audit(...) or console_read(...) call writes, read from the source; and the calls
    whose action cannot be read there (outside the known forwarders)."""
    codes: set[str] = set(storage.batch_query.QUERY_ACTIONS)  # what audit_query's callers pass
    unreadable: list[str] = []
    for folder in ("storage", "bot", "handlers", "render"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or len(call.args) < 2:
                        continue
                    name = getattr(call.func, "id", getattr(call.func, "attr", ""))
                    if name not in ("audit", "console_read"):
                        continue
                    action = call.args[1]
                    where = (str(path.relative_to(ROOT)), function.name)
                    if isinstance(action, ast.Constant) and isinstance(action.value, str):
                        codes.add(("read:" if name == "console_read" else "") + action.value)
                    elif where not in FORWARDERS:
                        unreadable.append(f"{where[0]}:{call.lineno}")
    return codes, unreadable


def test_every_action_written_anywhere_has_a_chinese_name():
    codes, unreadable = action_codes_in_the_code_base()
    assert not unreadable, f"an audit action that is not a literal: {unreadable}"
    assert {"seal_filed", "read:pending_list", "decided", "export:audit"} <= codes  # the scan finds them
    assert sorted(codes - set(AUDIT_ACTION_NAMES)) == []
    assert all(name and not name.isascii() for name in AUDIT_ACTION_NAMES.values())


def what(html: str) -> list[str]:
    """The actions of the entries shown, as the page names them."""
    return re.findall(r'<div class="what">([^<]*)</div>', html)


async def approve_on_the_console(service, openid: str, record_id: int) -> None:
    browser = await sign_in(service, openid)
    chosen = [("ids", record_id), ("action", "approve"), ("confirm", "1")]
    status, html = await browser.post("/admin/review", chosen)
    assert status == 200 and "已通过" in html, html
    await browser.close()


async def test_a_province_official_filters_by_action_and_date_and_reads_names_and_beijing_time(console_service, world):
    record, person = world["record"], world["person"]
    await approve_on_the_console(console_service, "o_home", record.id)
    # Approved at 17:30 UTC on 1 March: 01:30 on 2 March in Beijing.
    await AuditEntry.filter(action="decided").update(at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    province = await sign_in(console_service, "o_province")

    status, html = await province.get("/admin/audit", action="decided", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert status == 200 and "共 1 条" in html
    assert "2026-03-02 01:30:00" in html and "2026-03-01 17:30" not in html
    assert what(html) == ["审核申报"]
    assert "本单位管理员（单位管理员 · 郑州市第一人民医院）" in html
    assert f"学时记录 #{record.id}：孙丽（证书管理号 {mask_cert_number(person.cert_number)}）" in html
    assert '<td>状态</td><td class="old">待审核</td><td class="new">已通过</td>' in html
    assert "<td>课程名称</td>" not in html  # only what changed
    for code in ("decided", "admin:", "hour_record:", "read:pending_list", "&#34;", "{&#"):
        assert f">{code}" not in html and f"：{code}" not in html, code
    assert person.id_number not in html
    assert await AuditEntry.filter(action="read:audit_log", actor__startswith="admin:").exists()  # reading it too

    _, html = await province.get("/admin/audit", action="decided", **{"from": "2026-03-01", "to": "2026-03-01"})
    assert "共 0 条" in html and "没有符合条件的记录" in html  # the Beijing date, not the UTC one

    _, html = await province.get("/admin/audit", action="read:pending_list", actor="本单位管理员")
    assert set(what(html)) == {"查看待审核列表"} and "对象：本人管理范围" in html and "read:pending_list</" not in html
    _, html = await province.get("/admin/audit", actor="洛阳市管理员")
    assert "共 0 条" in html
    await province.close()


async def test_a_person_is_found_by_name_or_certificate_number_and_never_by_id_number(console_service, world):
    person, record = world["person"], world["record"]
    await approve_on_the_console(console_service, "o_home", record.id)
    province = await sign_in(console_service, "o_province")
    for asked in ("孙丽", person.cert_number):
        status, html = await province.get("/admin/audit", person=asked)
        assert status == 200 and what(html) == ["审核申报", "申报学时"], asked  # nobody else's entries

    status, html = await province.get("/admin/audit", person=person.id_number)
    assert status == 400 and "请勿输入身份证号" in html and person.id_number not in html
    assert "共 0 条" in html
    # A long filter is cut at 50 characters: an ID number at its end must be seen before that, not after.
    padded = "请查一下这位人员在本年度内的全部审核操作和申报学时记录，身份证号：" + person.id_number
    status, html = await province.get("/admin/audit", person=padded)
    assert status == 400 and person.id_number[:17] not in html
    status, _ = await province.get("/admin/audit", **{"from": "2026-13-01"})
    assert status == 400
    status, html = await province.get("/admin/audit", **{"from": "2026-03-02", "to": "2026-03-01"})
    assert status == 400 and "起始日期不能晚于截止日期" in html
    await province.close()


async def test_a_person_is_found_in_the_batch_queries_that_showed_them(console_service, world):
    person = world["person"]
    other = await a_registered_person("o_other", name="周强", unit=world["far"])
    zhengzhou = await sign_in(console_service, "o_zhengzhou")
    status, _ = await zhengzhou.post("/admin/query", {"numbers": f"{person.cert_number}\n{other.cert_number}"})
    assert status == 200
    await zhengzhou.close()

    province = await sign_in(console_service, "o_province")
    _, html = await province.get("/admin/audit", person="孙丽")
    assert "证书批量查询" in what(html)
    _, html = await province.get("/admin/audit", person="周强")  # outside 郑州: shown only as valid or not
    assert "证书批量查询" not in what(html)
    await province.close()


async def test_the_log_comes_fifty_to_a_page_newest_first(console_service, world):
    for number in range(120):
        await audit("cli:ops", "seal_filed", "region:410100", after={"issuer": f"签章{number:03d}"})
    province = await sign_in(console_service, "o_province")
    _, first = await province.get("/admin/audit", action="seal_filed")
    assert "共 120 条" in first and what(first) == ["电子签章备案生效"] * 50
    assert "签章119" in first and "签章070" in first and "签章069" not in first
    assert 'aria-current="page">1<' in first and "下一页" in first and "上一页" not in first
    assert "运维命令行（ops）" in first and "对象：郑州市" in first
    _, last = await province.get("/admin/audit", action="seal_filed", page="3")
    assert what(last) == ["电子签章备案生效"] * 20 and "签章000" in last and "下一页" not in last
    assert "action=seal_filed&amp;page=2" in last  # the filters go with the page links
    await province.close()


@pytest.mark.parametrize("who", ["o_home", "o_zhengzhou"])
async def test_below_the_province_nobody_reads_or_exports_the_log(console_service, world, who):
    browser = await sign_in(console_service, who)
    _, home = await browser.get("/admin/")
    assert "/admin/audit" not in home
    for path in ("/admin/audit", "/admin/audit/export.xlsx"):
        status, html = await browser.get(path)
        assert status == 403 and "不在您的管理范围内" in html, path
    status, _ = await browser.get("/admin/audit", person="123")  # refused before the filters are read
    assert status == 403
    assert not await AuditEntry.filter(action="export:audit").exists()
    await browser.close()


async def test_the_export_is_a_spreadsheet_without_formulas_and_is_itself_audited(console_service, world):
    await an_admin("o_formula", "unit", unit=world["home"], name='=HYPERLINK("http://x")')
    await sign_in(console_service, "o_formula")  # the sign-in is audited under that name
    await audit("admin:1", "read:people_search", f"query:{world['person'].id_number}")
    province = await sign_in(console_service, "o_province")
    status, data, kind = await province.get_bytes("/admin/audit/export.xlsx", action="console_sign_in")
    assert status == 200 and "spreadsheetml" in kind
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["时间（北京时间）", "操作人", "操作", "对象"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    actors = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x")（单位管理员 · 郑州市第一人民医院）' in actors
    assert {row[2] for row in rows[1:]} == {"登录管理后台"}

    entry = await AuditEntry.get(action="export:audit")
    assert entry.actor.startswith("admin:") and entry.after["rows"] == len(rows) - 1
    _, html = await province.get("/admin/audit", action="export:audit")
    assert "导出审计日志" in html and "省管理员（省级管理员 · 河南省）" in html and "操作：登录管理后台" in html

    _, data, _ = await province.get_bytes("/admin/audit/export.xlsx")
    text = " ".join(str(c.value) for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row)
    assert world["person"].id_number not in text and mask_id_number(world["person"].id_number) in text
    await province.close()


async def test_a_registrant_acting_for_themselves_is_named_with_their_unit(console_service, world):
    person = await a_registered_person("o_new", name="钱多多", unit=world["home"])
    await audit(f"person:{person.id}", "withdrew", "hour_record:999999", {"status": "pending"}, {"status": "withdrawn"})
    province = await sign_in(console_service, "o_province")
    _, html = await province.get("/admin/audit", action="withdrew")
    assert "钱多多（持证人本人 · 郑州市第一人民医院）" in html and "已撤回" in html and "撤回申报" in html
    await province.close()
