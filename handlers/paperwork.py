"""What the notice's paperwork tells the admins who must act next: a region's seal application (附件2) reaches the
province, the province's decision reaches the applicant, and an admin's filing (附件3) reaches the level above.

The changes themselves happen in the console (storage/filings.py queues the messages); these are the words.
"""

from typing import Any

from handlers.console_link import SIGN_IN
from storage.vocabulary import FILING_LABELS

_OPEN_CONSOLE = f"发送“{SIGN_IN.words[0]}”获取登录链接，在管理后台的「{{page}}」中处理。"


def seal_applied_text(p: dict[str, Any]) -> str:
    return (
        f"【印章备案申请】{p['region']}（{p['by']}）提交了电子证书印章备案申请，编号 {p['application_id']}，"
        f"印章名称：{p['issuer']}。\n{_OPEN_CONSOLE.format(page='电子签章')}"
    )


def seal_applied_template(p: dict[str, Any]) -> dict[str, str]:
    return {
        "first": "有新的印章备案申请待处理",
        "keyword1": p["region"],
        "keyword2": p["issuer"],
        "keyword3": f"编号 {p['application_id']}",
        "remark": _OPEN_CONSOLE.format(page="电子签章"),
    }


def seal_decided_text(p: dict[str, Any]) -> str:
    if p["filed"]:
        return (
            f"【印章已备案】您提交的印章备案申请（编号 {p['application_id']}，{p['issuer']}）已备案。"
            "此后本地区新签发的电子证书将加盖该印章。"
        )
    return (
        f"【印章申请退回】您提交的印章备案申请（编号 {p['application_id']}，{p['issuer']}）已退回。\n"
        f"理由：{p['reason']}\n修改后可在管理后台重新提交。"
    )


def seal_decided_template(p: dict[str, Any]) -> dict[str, str]:
    return {
        "first": "您的印章备案申请已备案" if p["filed"] else "您的印章备案申请已退回",
        "keyword1": p["issuer"],
        "keyword2": "已备案" if p["filed"] else "已退回",
        "keyword3": f"编号 {p['application_id']}",
        "remark": "" if p["filed"] else f"理由：{p['reason']}",
    }


def _fields(p: dict[str, Any]) -> str:
    return "、".join(FILING_LABELS.get(field, field) for field in p["fields"])


def filing_updated_text(p: dict[str, Any]) -> str:
    return (
        f"【管理员备案】{p['where']}的管理员 {p['name']} 更新了管理员信息备案表（附件3）：{_fields(p)}。\n"
        f"{_OPEN_CONSOLE.format(page='管理员备案')}"
    )


def filing_updated_template(p: dict[str, Any]) -> dict[str, str]:
    return {
        "first": "管理员信息备案有更新",
        "keyword1": f"{p['name']}（{p['where']}）",
        "keyword2": _fields(p),
        "keyword3": "管理员信息备案表（附件3）",
        "remark": _OPEN_CONSOLE.format(page="管理员备案"),
    }
