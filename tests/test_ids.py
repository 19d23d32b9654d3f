"""The identifiers the notice relies on: GB 11643 ID numbers and GB 32100 credit codes."""

from datetime import date

import pytest

from storage.ids import (
    IdProblem,
    InvalidIdNumber,
    is_credit_code,
    mask_id_number,
    mask_name,
    parse_id_number,
)

TODAY = date(2026, 11, 27)


def test_the_standards_own_sample_id_number_is_valid():
    parsed = parse_id_number("11010519491231002X", TODAY)
    assert parsed.birth_date == date(1949, 12, 31) and parsed.gender == "女"


def test_full_width_characters_spaces_and_a_lower_case_x_are_accepted():
    assert parse_id_number(" １１０１０５ 19491231002x ", TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("11010519491231002", IdProblem.FORMAT),
        ("1101051949123100201", IdProblem.FORMAT),
        ("11010519491231002Y", IdProblem.FORMAT),
        ("11010519490230002X", IdProblem.BIRTH_DATE),
        ("11010520271231002X", IdProblem.BIRTH_DATE),
        ("110105194912310021", IdProblem.CHECK_CHARACTER),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(text, problem):
    with pytest.raises(InvalidIdNumber) as refused:
        parse_id_number(text, TODAY)
    assert refused.value.problem == problem


@pytest.mark.parametrize("code", ["91110108551385082Q", "91350100M000100Y43"])
def test_real_credit_codes_pass_the_mod_31_check(code):
    assert is_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "91110108551385082A",  # wrong check character
        "91110108551385082",  # 17 characters
        "9111010855138508IQ",  # I is not in the character set
        "91ABCDEF551385082Q",  # the region part must be digits
        "",
    ],
)
def test_bad_credit_codes_fail(code):
    assert not is_credit_code(code)


def test_masks_keep_enough_to_recognise_and_too_little_to_misuse():
    assert mask_id_number("410105198503121234") == "410105********1234"
    assert mask_name("张晓明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳晓明") == "欧**明"
