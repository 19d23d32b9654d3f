"""What the service calls things, said once: the display names of categories, record sources, admin roles and
statuses, the hours figure, the fields of the notice's attachment 3 (管理员信息备案表) and the issuers' names.

The chat, the console, the notifications, the exports and the certificate all take their words from here, so a
name changed here changes everywhere at once. Sentences stay beside the code that says them.
"""

from decimal import Decimal

from storage.models import AdminRole, ApplicationStatus, Category, RecordSource, RecordStatus, Region

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


def default_issuer_name(region: Region) -> str:
    """The body a region's own seal names until it files another: its HR and social security bureau."""
    return f"{region.name}人力资源和社会保障局"


def hours_figure(value: Decimal | str | int) -> str:
    """Hours as people write them: 45 rather than 45.0, 1.5 as it is, 100 never 1E+2. Takes the text a
    notification's payload carries ("12.0") as well as a Decimal."""
    return f"{Decimal(value).normalize():f}"
