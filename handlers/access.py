"""Who may use a journey: a registered person, or an admin."""

from handlers.chat import Chat
from handlers.replies import Refusal
from storage.admins import admin_by_openid
from storage.models import Admin, Person
from storage.people import person_by_openid

NOT_REGISTERED = "请先注册：发送“注册”，按提示填写姓名、身份证号和单位即可，约需 1 分钟。"
NOT_ADMIN = "此功能仅限继续教育管理员使用。管理员请先用邀请码绑定：发送“绑定管理员 邀请码”。"


async def require_person(chat: Chat) -> Person:
    person = await person_by_openid(chat.openid)
    if person is None:
        raise Refusal(NOT_REGISTERED)
    return person


async def require_admin(chat: Chat) -> Admin:
    admin = await admin_by_openid(chat.openid)
    if admin is None:
        raise Refusal(NOT_ADMIN)
    return admin
