"""The two national identifiers the notice relies on, and how they are shown masked.

- 居民身份证号码, GB 11643-1999: 17 digits and a MOD 11-2 check character.
- 统一社会信用代码, GB 32100-2015: 18 characters and a MOD 31-3 check character.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# GB/T 2260's provinces, autonomous regions, municipalities and SARs: the first two digits of an address code;
# and 83, which residence permits for Taiwan residents carry (those for Hong Kong and Macao carry 81 and 82).
PROVINCE_CODES = frozenset(
    f"{code}"
    for first, last in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 83))
    for code in range(first, last + 1)
)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
# GB 32100's registering authorities (登记管理部门码): 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
# 7 宗教, 8 工会, 9 市场监管 (工商), A 中央军委改革和编制办公室, N 农业, Y 其他.
USCC_AUTHORITIES = "123456789ANY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class IdProblem(StrEnum):
    FORMAT = "format"
    REGION = "region"  # the first two digits are no province's
    BIRTH_DATE = "birth_date"
    BIRTH_IN_FUTURE = "birth_in_future"
    CHECK_CHARACTER = "check_character"


class InvalidIdNumber(ValueError):
    def __init__(self, problem: IdProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "男" / "女", from the parity of the 17th digit


def normalise(text: str) -> str:
    """Full-width characters to half-width, spaces and invisible marks removed, letters upper-cased."""
    if text.isascii():  # nothing full-width or invisible (Cf): a batch of 5,000 numbers skips the per-character walk
        return "".join(text.split()).upper()
    half = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in strip_invisible(text))
    return "".join(half.split()).upper()


def is_invisible(char: str) -> bool:
    """Zero-width spaces and joiners, bidirectional marks, embeddings, overrides and isolates, the BOM, the soft
    hyphen: Unicode's format characters (Cf), which phones put around a number copied from a contact."""
    return unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    return "".join(c for c in text if not is_invisible(c))


_DIGITS = frozenset("0123456789０１２３４５６７８９XxＸｘ")


def unmark_numbers(text: str) -> str:
    """The text with each run of invisible marks that touches a digit (or an ID number's X) removed: a number
    pasted from a phone's contacts reads as typed. Marks elsewhere stay, for the text check to judge."""
    kept, i = [], 0
    while i < len(text):
        if not is_invisible(text[i]):
            kept.append(text[i])
            i += 1
            continue
        end = i
        while end < len(text) and is_invisible(text[end]):
            end += 1
        touches_a_digit = (i > 0 and text[i - 1] in _DIGITS) or (end < len(text) and text[end] in _DIGITS)
        if not touches_a_digit:
            kept.append(text[i:end])
        i = end
    return "".join(kept)


def id_check_character(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(text: str, today: date) -> IdNumber:
    number = normalise(text)
    if len(number) != 18 or not is_digits(number[:17]) or number[17] not in "0123456789X":
        raise InvalidIdNumber(IdProblem.FORMAT)
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(IdProblem.REGION)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(IdProblem.BIRTH_DATE) from None
    if born > today:
        raise InvalidIdNumber(IdProblem.BIRTH_IN_FUTURE)
    if born.year < 1900 or born == today:
        raise InvalidIdNumber(IdProblem.BIRTH_DATE)
    if id_check_character(number[:17]) != number[17]:
        raise InvalidIdNumber(IdProblem.CHECK_CHARACTER)
    return IdNumber(number, born, gender_of(number))


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_credit_code(text: str) -> bool:
    code = normalise(text)
    return (
        len(code) == 18
        and all(c in USCC_CHARSET for c in code)
        and code[0] in USCC_AUTHORITIES
        and is_digits(code[1])  # the kind of organisation within the authority
        and is_digits(code[2:8])  # the registering authority's region code
        and uscc_check_character(code[:17]) == code[17]
    )


def mask_id_number(number: str) -> str:
    """410105********1234: enough for the holder to recognise, too little to misuse."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# An ID number however it was typed or pasted: full-width digits, single spaces, hyphens or invisible
# characters between the digits, inside a longer text. Two certificate numbers side by side are not one.
# Spaces of any kind (the ideographic one, tabs, two at once) and hyphens or dashes (ASCII, Unicode, full-width);
# invisible marks are stripped first (strip_invisible).
_SEPARATOR = r"[\s\-\u2010-\u2015\uff0d]{0,3}"
_ID_NUMBER_ANYWHERE = re.compile(rf"(?<!\d)(?:\d{_SEPARATOR}){{17}}[\dXxＸｘ](?![\dXxＸｘ])")
_LONG_DIGIT_RUN = re.compile(r"\d{19,}")  # an ID number with digits typed before or after it


def mask_id_numbers_in(text: str) -> str:
    """Every ID number inside a text masked as mask_id_number does; the rest unchanged but for invisible marks."""
    text = _LONG_DIGIT_RUN.sub(lambda run: mask_id_number(run[0]), strip_invisible(text))
    return _ID_NUMBER_ANYWHERE.sub(lambda found: mask_id_number(normalise(re.sub(_SEPARATOR, "", found[0]))), text)


def mask_name(name: str) -> str:
    """张*明, 张*, 欧阳*明."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_cert_number(number: str) -> str:
    return number[:6] + "******" + number[-4:]


def gender_of(id_number: str) -> str:
    """男 / 女, from the parity of the 17th digit (the sequence code)."""
    return "男" if int(id_number[16]) % 2 else "女"


def is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts ² and other digits that int() refuses."""
    return text.isascii() and text.isdigit()


def as_number(text: object, max_digits: int = 9) -> int | None:
    """A whole number someone typed or posted (a record id, a year, a list choice), or None; never one too big
    for the database's integers."""
    text = str(text if text is not None else "").strip()
    return int(text) if 0 < len(text) <= max_digits and is_digits(text) else None
