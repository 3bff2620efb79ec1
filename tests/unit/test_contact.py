"""Phone numbers and email addresses as clients type them."""

import pytest

from clinic_core.contact import (
    InvalidContact,
    is_valid_email,
    is_valid_phone,
    mask_email,
    mask_phone,
    normalise_contact,
    normalise_email,
    normalise_phone,
)
from clinic_core.profile import load_profile


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("07911 123456", "+447911123456"),
        ("07911123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("(07911) 123-456", "+447911123456"),
        ("020 7946 0018", "+442079460018"),
        ("+1 212 555 0100", "+12125550100"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw, expected):
    assert normalise_phone(raw, "GB") == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "12345", "call me", "0791112", "+44 7911 12345678901", "(212) 555-0100"]
)
def test_bad_phone_numbers(raw):
    with pytest.raises(InvalidContact) as info:
        normalise_phone(raw, "GB")
    assert info.value.kind == "phone"
    assert str(info.value)  # a sentence the assistant can say
    assert not is_valid_phone(raw)


def test_region_comes_from_profile():
    profile = load_profile()
    assert profile.country_code == "GB"
    assert normalise_phone("(212) 555-0100", "US") == "+12125550100"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("jane@example.com", "jane@example.com"),
        ("  Jane.Doe@Example.COM ", "Jane.Doe@example.com"),
        ("j.o'brien+massage@mail.co.uk", "j.o'brien+massage@mail.co.uk"),
    ],
)
def test_emails(raw, expected):
    assert normalise_email(raw) == expected
    assert is_valid_email(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "jane", "jane@", "@example.com", "jane@example", "jane @example.com", "jane@@example.com"],
)
def test_bad_emails(raw):
    with pytest.raises(InvalidContact) as info:
        normalise_email(raw)
    assert info.value.kind == "email"
    assert not is_valid_email(raw)


def test_normalise_contact_and_masks():
    assert normalise_contact("Jane@Example.com") == ("email", "Jane@example.com")
    assert normalise_contact("07911 123456") == ("phone", "+447911123456")
    assert mask_phone("+447911123456").endswith("3456") and "7911" not in mask_phone(
        "+447911123456"
    )
    assert mask_email("jane.doe@example.com") == "j•••@example.com"
