"""What the service calls things, said once: the display names of categories, record sources, admin roles and
statuses, the hours figure, the fields of the notice's attachment 3 (管理员信息备案表) and the issuers' names.

The chat, the console, the notifications, the exports and the certificate all take their words from here, so a
name changed here changes everywhere at once. Sentences stay beside the code that says them.
"""

from decimal import Decimal

from storage.models import Admin, AdminRole, ApplicationStatus, Category, RecordSource, RecordStatus, Region

CATEGORY_NAMES = {Category.PUBLIC: "公需科目", Category.PROFESSIONAL: "专业科目"}
SOURCE_NAMES = {
    RecordSource.DECLARED: "本人申报",
    RecordSource.PAPER: "纸质证书转登",
    RecordSource.IMPORTED: "批量导入",
}
# The certificate's table is narrow: a declared record is printed as plain 申报.
CERTIFICATE_SOURCE_NAMES = SOURCE_NAMES | {RecordSource.DECLARED: "申报"}
ROLE_NAMES = {AdminRole.UNIT: "单位管理员", AdminRole.REGION: "地区管理员", AdminRole.PROVINCE: "省级管理员"}
RECORD_STATUS_NAMES = {
    RecordStatus.PENDING: "待审核",
    RecordStatus.APPROVED: "已通过",
    RecordStatus.REJECTED: "已驳回",
    RecordStatus.WITHDRAWN: "已撤回",
    RecordStatus.VOIDED: "已作废",
}
SEAL_STATUS_NAMES = {
    ApplicationStatus.SUBMITTED: "待备案",
    ApplicationStatus.APPROVED: "已备案",
    ApplicationStatus.REJECTED: "已退回",
}

PROVINCE_NAME = "河南省"
PROVINCE_ISSUER = "河南省人力资源和社会保障厅"

# 附件3's fields in the attachment's order: the Admin model's column and the label the form prints.
FILING_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "department": "工作部门",
    "post": "职务",
    "phone": "联系电话",
    "fax": "传真",
    "email": "电子信箱",
    "postcode": "邮编",
    "address": "邮寄地址",
}


# The audit log's actions (storage.audit): every code written anywhere has its name here
# (tests/test_audit_log.py reads the code base for them). read:<what> are console reads of personal data.
AUDIT_ACTION_NAMES = {
    "admin_bound": "绑定管理员",
    "console_sign_in": "登录管理后台",
    "declared": "申报学时",
    "withdrew": "撤回申报",
    "decided": "审核申报",
    "transferred": "纸质证书学时转登",
    "imported": "批量导入学时",
    "registration_hit": "重复注册核验",
    "rebound_wechat": "凭换绑码绑定微信",
    "unbound_wechat": "解除微信绑定",
    "issued_rebind_code": "重新生成换绑码",
    "changed_unit": "更正所在单位",
    "certificate_issued": "生成电子证书",
    "certificate_revoked": "注销电子证书",
    "seal_applied": "申请电子签章",
    "seal_decided": "处理电子签章申请",
    "seal_filed": "电子签章备案生效",
    "filing_updated": "修改管理员备案信息",
    "plan_filed": "报备培训计划",
    "plan_refiled": "重新报备培训计划",
    "exported_plan_file": "下载培训计划附件",
    "exported_filings": "导出管理员备案表",
    "export:stats": "导出统计表",
    "export:query": "导出证书批量查询结果",
    "export:audit": "导出审计日志",
    "read:query": "证书批量查询",
    "read:pending_list": "查看待审核列表",
    "read:evidence": "查看证明材料",
    "read:people_search": "搜索人员",
    "read:person": "查看人员信息",
    "read:filings": "查看管理员备案列表",
    "read:filing": "查看管理员备案表",
    "read:training_plan": "查看培训计划",
    "read:audit_log": "查看审计日志",
    "voided": "作废学时记录",
    "corrected": "更正学时记录",
    "reminders_sent": "发送学时提醒",
    "export:follow_up": "导出未达标人员名单",
    "read:follow_up": "查看未达标人员名单",
    "unit_added": "添加单位",
    "units_imported": "批量导入单位",
    "unit_corrected": "更正单位信息",
    "admin_invited": "邀请管理员",
    "admin_removed": "解除管理员",
}

# The facts an audit entry keeps before and after a change, by their key.
AUDIT_FIELD_LABELS = FILING_LABELS | {
    "person_id": "人员",
    "person": "身份证号",
    "id_number": "身份证号",
    "year": "年度",
    "category": "类别",
    "course": "课程名称",
    "provider": "培训机构",
    "studied_on": "学习日期",
    "hours": "学时",
    "status": "状态",
    "source": "来源",
    "reject_reason": "驳回理由",
    "paper_cert_number": "纸质证书编号",
    "unit_id": "单位",
    "region_id": "地区",
    "region": "地区",
    "role": "角色",
    "openid_bound": "已绑定微信",
    "by": "方式",
    "rebind_code_expires_at": "换绑码有效期至",
    "outcome": "结果",
    "applicant": "申请单位",
    "issuer": "签章单位名称",
    "applied_on": "申请日期",
    "reason": "理由",
    "rows": "行数",
    "lines": "统计行数",
    "missed": "未查到",
    "malformed": "号码有误",
    "people_in_scope": "范围内人员",
    "people_outside_scope": "范围外人员数",
    "text_chars": "计划正文字数",
    "file_name": "附件名称",
    "file_bytes": "附件大小（字节）",
    "file_sha256": "附件校验值",
    "filters": "筛选条件",
    "credit_code": "统一社会信用代码",
    "industry": "行业类别",
    "units": "单位数",
    "people": "人数",
    "invite": "邀请码编号",
    "unit": "单位",
}
# Coded values inside those facts, by key.
AUDIT_VALUE_NAMES = {
    "category": {str(key): name for key, name in CATEGORY_NAMES.items()},
    "source": {str(key): name for key, name in SOURCE_NAMES.items()},
    "role": {str(key): name for key, name in ROLE_NAMES.items()},
    "by": {"rebind_code": "换绑码", "unit": "按单位", "region": "按地区"},
    "outcome": {
        "asked_for_rebind_code": "已提示使用换绑码",
        "id_taken": "身份证号已注册",
        "wrong_rebind_code": "换绑码有误",
        "limited": "尝试过多已限制",
    },
}


def scope_name(admin: Admin) -> str:
    """单位管理员 · 郑州市第一人民医院: an admin's role and where it reaches (unit and region fetched)."""
    if admin.role == AdminRole.UNIT and admin.unit:
        return f"{ROLE_NAMES[admin.role]} · {admin.unit.name}"
    if admin.role == AdminRole.REGION and admin.region:
        return f"{ROLE_NAMES[admin.role]} · {admin.region.name}"
    return f"{ROLE_NAMES[admin.role]} · {PROVINCE_NAME}"


def default_issuer_name(region: Region) -> str:
    """The body a region's own seal names until it files another: its HR and social security bureau."""
    return f"{region.name}人力资源和社会保障局"


def hours_figure(value: Decimal | str | int) -> str:
    """Hours as people write them: 45 rather than 45.0, 1.5 as it is, 100 never 1E+2. Takes the text a
    notification's payload carries ("12.0") as well as a Decimal."""
    return f"{Decimal(value).normalize():f}"
