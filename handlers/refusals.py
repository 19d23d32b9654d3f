"""One way to say no: every expected refusal has a code, and this table holds the sentence users read.

Chat and console share it, so one refusal is never worded two ways. A journey raises `Refusal(No.BAD_NAME)`;
bot/ turns it into a reply. Where the answer is not an exception (a line in a list of results, a console
flash), `say(No.RECORD_NOT_FOUND, id=12)` gives the same sentence.
"""

from enum import StrEnum
from typing import Any

from storage.declarations import FIRST_YEAR, MAX_HOURS_PER_RECORD
from storage.text import UNSAFE_TEXT


class No(StrEnum):
    # who may use what
    NOT_REGISTERED = "not_registered"
    ADMINS_ONLY = "admins_only"
    # any dialog step
    TEXT_ONLY = "text_only"
    UNSUPPORTED = "unsupported"
    UNSAFE_TEXT = "unsafe_text"
    # 注册
    BAD_NAME = "bad_name"
    ID_FORMAT = "id_format"
    ID_REGION = "id_region"
    ID_BIRTH_DATE = "id_birth_date"
    ID_BIRTH_IN_FUTURE = "id_birth_in_future"
    ID_CHECK_CHARACTER = "id_check_character"
    ID_TAKEN = "id_taken"
    ALREADY_BOUND = "already_bound"
    REBIND_CODE_WRONG = "rebind_code_wrong"
    TOO_MANY_REBIND_ATTEMPTS = "too_many_rebind_attempts"
    STILL_BOUND = "still_bound"
    NO_UNIT = "no_unit"
    BAD_PICK = "bad_pick"
    UNIT_GONE = "unit_gone"
    REGISTRATION_UNCONFIRMED = "registration_unconfirmed"
    # an hours entry (申报, 转登, bulk import)
    BAD_YEAR = "bad_year"
    BAD_CATEGORY = "bad_category"
    BAD_DATE = "bad_date"
    NO_SUCH_MONTH = "no_such_month"
    NO_SUCH_DAY = "no_such_day"
    DATE_OUTSIDE_YEAR = "date_outside_year"
    DATE_IN_FUTURE = "date_in_future"
    DATE_AFTER_PAPER_VOID = "date_after_paper_void"
    BAD_HOURS = "bad_hours"
    BAD_TEXT = "bad_text"
    IMPORT_NO_PERSON = "import_no_person"
    DUPLICATE_RECORD = "duplicate_record"
    IMPORT_REPEATED_ROW = "import_repeated_row"
    # 申报, 我的申报, 撤回
    NO_EVIDENCE = "no_evidence"
    DECLARATION_UNCONFIRMED = "declaration_unconfirmed"
    WITHDRAW_WITHOUT_ID = "withdraw_without_id"
    NOT_WITHDRAWABLE = "not_withdrawable"
    # 待审, 通过, 驳回 (chat and console)
    APPROVE_WITHOUT_IDS = "approve_without_ids"
    REJECT_WITHOUT_REASON = "reject_without_reason"
    REASON_REQUIRED = "reason_required"
    ALREADY_DECIDED = "already_decided"
    RECORD_OUT_OF_SCOPE = "record_out_of_scope"
    RECORD_NOT_FOUND = "record_not_found"
    OWN_RECORD = "own_record"
    # 作废, 更正 (chat and console)
    VOID_WITHOUT_REASON = "void_without_reason"
    CORRECTION_WITHOUT_REASON = "correction_without_reason"
    ALREADY_VOIDED = "already_voided"
    NOT_APPROVED = "not_approved"
    OWN_RECORD_CHANGE = "own_record_change"
    NOTHING_TO_CORRECT = "nothing_to_correct"
    # 转登
    NO_SUCH_PERSON = "no_such_person"
    PERSON_OUT_OF_SCOPE = "person_out_of_scope"
    OWN_TRANSFER = "own_transfer"
    OWN_UNBINDING = "own_unbinding"
    BAD_PAPER_NUMBER = "bad_paper_number"
    TRANSFER_UNCONFIRMED = "transfer_unconfirmed"
    # 绑定管理员
    INVITE_CODE_MISSING = "invite_code_missing"
    INVITE_UNKNOWN = "invite_unknown"
    TOO_MANY_INVITE_TRIES = "too_many_invite_tries"
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    ALREADY_ADMIN = "already_admin"
    FILING_FIELD = "filing_field"
    FILING_UNCONFIRMED = "filing_unconfirmed"
    # 证书, 验证
    BAD_CERTIFICATE_YEAR = "bad_certificate_year"
    NO_HOURS = "no_hours"
    NO_HOURS_IN_YEAR = "no_hours_in_year"
    CERTIFICATE_REVOKED = "certificate_revoked"
    TOO_MANY_VERIFICATIONS = "too_many_verifications"
    NOTHING_TO_VERIFY = "nothing_to_verify"
    VERIFY_NEEDS_NAME = "verify_needs_name"
    # 证书查询 (console)
    QUERY_BUDGET_SPENT = "query_budget_spent"


SENTENCES: dict[No, str] = {
    No.NOT_REGISTERED: "请先注册：发送“注册”，按提示填写姓名、身份证号和单位即可，约需 1 分钟。",
    No.ADMINS_ONLY: "此功能仅限继续教育管理员使用。管理员请先用邀请码绑定：发送“绑定管理员 邀请码”。",
    No.TEXT_ONLY: "请用文字回复。发送“取消”可退出当前办理。",
    No.UNSUPPORTED: "抱歉，本服务号暂不能处理图片、语音、位置等消息，请发送文字。",
    No.UNSAFE_TEXT: UNSAFE_TEXT,  # the console says the same (storage/text.py)
    No.BAD_NAME: "姓名应为 2–20 个汉字，少数民族姓名中间的“·”可以保留。请重新输入您的姓名。",
    No.ID_FORMAT: "身份证号码应为 18 位：前 17 位是数字，最后一位是数字或字母 X。请核对后重新输入。",
    No.ID_REGION: "身份证号码的前两位应为省、自治区、直辖市的代码（如河南为 41），请核对后重新输入。",
    No.ID_BIRTH_DATE: "身份证号码中的出生日期（第 7–14 位）不是一个真实的日期，请核对后重新输入。",
    No.ID_BIRTH_IN_FUTURE: "身份证号码中的出生日期（第 7–14 位）晚于今天，请核对后重新输入。",
    No.ID_CHECK_CHARACTER: "身份证号码最后一位（校验码）与前 17 位不符，可能输错了数字，请核对后重新输入。",
    No.ID_TAKEN: (
        "该身份证号码已经注册，证书管理号为 {number}。按照“一人一证一号”的规定，不能重复注册。\n"
        "如是您本人注册、但原微信号已无法使用，请联系所在单位的继续教育管理员解除绑定并领取重新绑定码。\n"
        "如号码输入有误，请重新输入；发送“取消”退出。"
    ),
    No.ALREADY_BOUND: "您的微信已绑定证书管理号 {number}，无需再次注册。发送“学时”可查询学时。",
    No.REBIND_CODE_WRONG: (
        "重新绑定码不正确或已过期，或姓名与登记的不一致。请核对后重新输入重新绑定码（姓名有误请发送“取消”后重新注册）；"
        "没有有效的重新绑定码，请联系所在单位的继续教育管理员重新获取。"
    ),
    No.TOO_MANY_REBIND_ATTEMPTS: (
        "尝试次数过多，为保护已注册人员的信息，请一小时后再试；如有困难，请联系所在单位的继续教育管理员。"
    ),
    No.STILL_BOUND: "该人员的微信仍在绑定中，无需重新绑定码；如原微信号已无法使用，请先解除绑定。",
    No.NO_UNIT: (
        "没有找到与“{query}”相符的单位。请换一个关键词，或输入单位的统一社会信用代码。\n"
        "如您的单位尚未在平台登记，请联系单位人事部门办理。"
    ),
    No.BAD_PICK: "请回复列表中的序号（1–{count}），或输入新的关键词重新查找。",
    No.UNIT_GONE: "所选单位已不存在，请重新输入单位关键词。",
    No.REGISTRATION_UNCONFIRMED: "请回复“确认”完成注册，或回复“重填”从头填写。",
    No.BAD_YEAR: f"年度应为 {FIRST_YEAR} 年至今年之间的年份，如 {{this_year}}。",
    No.BAD_CATEGORY: "科目类别请回复 1（公需科目）或 2（专业科目）。",
    No.BAD_DATE: "日期格式不对，请按“{example}”的格式输入。",
    No.NO_SUCH_MONTH: "没有 {month} 月这个月份（月份为 1–12），请重新输入日期，如“{example}”。",
    No.NO_SUCH_DAY: "{year} 年 {month} 月没有 {day} 日（这个月只有 {days} 天），请重新输入日期，如“{example}”。",
    No.DATE_OUTSIDE_YEAR: "学习日期应在所申报的年度之内。",
    No.DATE_IN_FUTURE: "学习日期不能晚于今天。",
    No.DATE_AFTER_PAPER_VOID: "纸质证书已于 {paper_void} 起作废，转登的学时日期不能晚于该日。",
    No.BAD_HOURS: f"学时应为大于 0、不超过 {MAX_HOURS_PER_RECORD} 的整数或半学时（如 2 或 1.5）。",
    No.BAD_TEXT: "名称应为 2–100 个字。",
    No.IMPORT_NO_PERSON: "找不到证书管理号或身份证号为“{number}…”的注册人员",
    No.DUPLICATE_RECORD: ("该人员已有相同的学时记录（{record}），不能重复录入。如原记录有误，请作废或更正原记录。"),
    No.IMPORT_REPEATED_ROW: "与第 {line} 行重复",
    No.NO_EVIDENCE: "请发送一张照片，或回复“跳过”。",
    No.DECLARATION_UNCONFIRMED: "请回复“确认”提交，或回复“取消”放弃。",
    No.WITHDRAW_WITHOUT_ID: "请在“撤回”后写上申报编号，如“撤回 12”。发送“我的申报”可查看编号。",
    No.NOT_WITHDRAWABLE: "没有找到您待审核的第 {id} 号申报（可能已审核或已撤回）。",
    No.APPROVE_WITHOUT_IDS: "请在“通过”后写上申报编号，如“通过 12”或“通过 12 13 15”。发送“待审”查看编号。",
    No.REJECT_WITHOUT_REASON: "驳回需要写明编号和理由，如“驳回 12 学时证明不清晰，请重新申报”。",
    No.REASON_REQUIRED: "驳回需要填写理由。",
    No.ALREADY_DECIDED: "#{id} 已由{by}{status}，未重复处理。",
    No.RECORD_OUT_OF_SCOPE: "#{id} 不在您的管理范围内，不能处理。",
    No.RECORD_NOT_FOUND: "#{id} 不存在或已撤回。",
    No.OWN_RECORD: "#{id} 是您本人的学时申报：不能审核本人的学时申报，已转由其他管理员或上级管理员审核。",
    No.VOID_WITHOUT_REASON: (
        "作废需要写明记录编号和理由，如“作废 12 与 8 号记录重复”。记录编号可在管理后台的人员页面查看。"
    ),
    No.CORRECTION_WITHOUT_REASON: "作废或更正学时记录需要填写理由，理由将告知本人。",
    No.ALREADY_VOIDED: "#{id} 已于 {at} 作废（理由：{reason}），无需再次作废。",
    No.NOT_APPROVED: "#{id} 目前{status}，只有已通过的学时记录可以作废或更正。{hint}",
    No.OWN_RECORD_CHANGE: "#{id} 是您本人的学时记录：不能作废或更正本人的学时，请由其他管理员或上级管理员办理。",
    No.NOTHING_TO_CORRECT: "#{id} 的学时和课程与原记录相同，未作更正。",
    No.NO_SUCH_PERSON: "没有找到该证书管理号或身份证号对应的注册人员，请核对；如本人尚未注册，请先指导其注册。",
    No.PERSON_OUT_OF_SCOPE: "该人员不在您的管理范围内，不能为其转登。",
    No.OWN_TRANSFER: "不能为本人转登学时，请由其他管理员或上级管理员办理。",
    No.OWN_UNBINDING: "不能为本人解除绑定微信或生成重新绑定码，请由其他管理员或上级管理员办理。",
    No.BAD_PAPER_NUMBER: "纸质证书编号应为 2–50 个字符。",
    No.TRANSFER_UNCONFIRMED: "请回复“确认”转登，或回复“取消”放弃。",
    No.INVITE_CODE_MISSING: "请在“绑定管理员”后写上邀请码，如“绑定管理员 7KQ2M9XD”。邀请码由上级管理员发放。",
    No.INVITE_UNKNOWN: "邀请码不正确，请核对后重新发送。",
    No.TOO_MANY_INVITE_TRIES: "邀请码尝试次数过多，请一小时后再试；如有困难，请联系发放邀请码的管理员。",
    No.INVITE_USED: "该邀请码已被使用过。每个邀请码只能使用一次，请向上级管理员申请新的邀请码。",
    No.INVITE_EXPIRED: "该邀请码已过期，请向上级管理员申请新的邀请码。",
    No.ALREADY_ADMIN: "您的微信已绑定为管理员，无需重复绑定。",
    # Each field of the filing says what it wants: admin_bind.FIELDS, shared with the console's filing form.
    No.FILING_FIELD: "{problem}",
    No.FILING_UNCONFIRMED: "请回复“确认”完成绑定，或回复“取消”放弃。",
    No.BAD_CERTIFICATE_YEAR: "请发送“证书”获取完整证书，或“证书 年份”获取该年度的学时证明，如“证书 2025”。",
    No.NO_HOURS: "您还没有审核通过的学时，暂不能生成证书。发送“申报”申报学时，单位管理员审核通过后即可生成。",
    No.NO_HOURS_IN_YEAR: "您 {year} 年没有审核通过的学时。发送“证书”可查看全部年度的证书。",
    No.CERTIFICATE_REVOKED: (
        "您的证书已被撤销（理由：{reason}），学时记录未变化前不能重新生成。如有疑问，请联系单位管理员。"
    ),
    No.TOO_MANY_VERIFICATIONS: "未查到结果的验证过多，为保护个人信息，请一分钟后再试。",
    # One sentence for an unknown number and for a wrong name: it must not tell that an ID number exists.
    No.NOTHING_TO_VERIFY: "未查到相符的证书。请核对证书管理号，或身份证号和姓名。",
    No.QUERY_BUDGET_SPENT: (
        "超出今日查询额度：本次 {rows} 个号码，今日还可查询 {remaining} 个（每人每日 {per_day} 个，"
        "北京时间零点重置）。请减少号码后再查，或明日再查。"
    ),
    No.VERIFY_NEEDS_NAME: "按身份证号验证需同时提供姓名，如“验证 41010519900307123X 张三”（号码和姓名之间空一格）。",
}


def say(code: No, **args: Any) -> str:
    """The sentence for a refusal, with its blanks filled: say(No.NOT_WITHDRAWABLE, id=12)."""
    return SENTENCES[code].format(**args)


class Refusal(Exception):
    """An expected refusal: its code and what fills the sentence's blanks. Whatever raised it changed nothing."""

    def __init__(self, code: No, **args: Any) -> None:
        self.code = code
        self.message = say(code, **args)
        super().__init__(self.message)
