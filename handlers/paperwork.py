"""What the notice's paperwork tells the admins who must act next: a region's seal application (附件2) reaches the
province, the province's decision reaches the applicant, and an admin's filing (附件3) reaches the level above.

The changes themselves happen in the console (storage/filings.py queues the messages); these are the words.
"""

from typing import Any

from handlers.console_link import SIGN_IN
from handlers.notices import Notice
from storage.vocabulary import FILING_LABELS

_OPEN_CONSOLE = f"发送“{SIGN_IN.words[0]}”获取登录链接，在管理后台的「{{page}}」中处理。"


def seal_applied(p: dict[str, Any]) -> Notice:
    open_console = _OPEN_CONSOLE.format(page="电子签章")
    return Notice(
        f"【印章备案申请】{p['region']}（{p['by']}）提交了电子证书印章备案申请，编号 {p['application_id']}，"
        f"印章名称：{p['issuer']}。\n{open_console}",
        first="有新的印章备案申请待处理",
        keywords=(p["region"], p["issuer"], f"编号 {p['application_id']}"),
        remark=open_console,
    )


def seal_decided(p: dict[str, Any]) -> Notice:
    which = f"（编号 {p['application_id']}，{p['issuer']}）"
    if p["filed"]:
        text = f"【印章已备案】您提交的印章备案申请{which}已备案。此后本地区新签发的电子证书将加盖该印章。"
        return Notice(text, "您的印章备案申请已备案", (p["issuer"], "已备案", f"编号 {p['application_id']}"), "")
    text = f"【印章申请退回】您提交的印章备案申请{which}已退回。\n理由：{p['reason']}\n修改后可在管理后台重新提交。"
    reason = f"理由：{p['reason']}"
    return Notice(text, "您的印章备案申请已退回", (p["issuer"], "已退回", f"编号 {p['application_id']}"), reason)


def filing_updated(p: dict[str, Any]) -> Notice:
    fields = "、".join(FILING_LABELS.get(field, field) for field in p["fields"])
    open_console = _OPEN_CONSOLE.format(page="管理员备案")
    return Notice(
        f"【管理员备案】{p['where']}的管理员 {p['name']} 更新了管理员信息备案表（附件3）：{fields}。\n{open_console}",
        first="管理员信息备案有更新",
        keywords=(f"{p['name']}（{p['where']}）", fields, "管理员信息备案表（附件3）"),
        remark=open_console,
    )
