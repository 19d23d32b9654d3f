"""Employing units (单位), identified by their unified social credit code."""

from tortoise.exceptions import IntegrityError

from storage.errors import DuplicateUnit, InvalidCreditCode, UnknownRegion
from storage.ids import is_credit_code, normalise, uscc_check_character
from storage.models import Region, Unit

UNIT_CHOICES = 8  # a list longer than this is hard to pick from on a phone


async def add_unit(name: str, credit_code: str, region_code: str, industry: str = "", is_demo: bool = False) -> Unit:
    code = normalise(credit_code)
    if not is_credit_code(code):
        raise InvalidCreditCode(credit_code)
    region = await Region.get_or_none(code=region_code)
    if region is None:
        raise UnknownRegion(region_code)
    existing = await Unit.get_or_none(credit_code=code)
    if existing is not None:
        raise DuplicateUnit(existing.name)
    try:
        return await Unit.create(name=name.strip(), credit_code=code, region=region, industry=industry, is_demo=is_demo)
    except IntegrityError:  # added by someone else in the meantime
        raise DuplicateUnit(name) from None


async def find_units(query: str) -> list[Unit]:
    """Units whose credit code is the query, or whose name contains it; at most UNIT_CHOICES."""
    text = query.strip()
    code = normalise(text)
    if is_credit_code(code):
        return await Unit.filter(credit_code=code).prefetch_related("region")
    if not text:
        return []
    return await Unit.filter(name__icontains=text).order_by("name").limit(UNIT_CHOICES).prefetch_related("region")


async def unit_by_id(unit_id: int) -> Unit | None:
    return await Unit.get_or_none(id=unit_id).prefetch_related("region")


DEMO_UNITS = (
    # (name, first 17 characters of a made-up credit code, region)
    ("【演示】郑州市第一人民医院", "12410100MB0000001", "410100"),
    ("【演示】洛阳市建筑设计研究院", "12410300MB0000002", "410300"),
    ("【演示】河南省农业科学研究所", "12410000MB0000003", "410000"),
    ("【演示】巩义市第二中学", "12410181MB0000004", "410181"),
)


async def load_demo_units() -> int:
    """Clearly-marked demo units for a local try-out, only into an empty unit table."""
    if await Unit.exists():
        return 0
    for name, stem, region in DEMO_UNITS:
        await add_unit(name, stem + uscc_check_character(stem), region, is_demo=True)
    return len(DEMO_UNITS)
