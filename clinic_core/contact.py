"""Checking and normalising the phone numbers and email addresses clients type.

Phone numbers go through Google's libphonenumber port (``phonenumbers``): a
number written without a country code is read in the clinic's country
(profile ``address.country_code``, e.g. GB), and the result is E.164
(``+447911123456``) so that the same number typed two ways matches.
Email addresses go through ``email-validator`` without DNS look-ups
(``check_deliverability=False``): the assistant works offline.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "InvalidContact",
    "normalise_phone",
    "normalise_email",
    "normalise_contact",
    "is_valid_phone",
    "is_valid_email",
    "mask_phone",
    "mask_email",
]

DEFAULT_REGION = "GB"


class InvalidContact(ValueError):
    """The text is not a usable phone number / email; ``str()`` is client-friendly."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def normalise_phone(raw: str, region: str | None = DEFAULT_REGION) -> str:
    """Return the number in E.164 or raise :class:`InvalidContact`.

    >>> normalise_phone("07911 123456")
    '+447911123456'
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidContact("Please give me a phone number.", "phone")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        raise InvalidContact(
            "That doesn't look like a phone number. Could you type it again, e.g. 07911 123456?",
            "phone",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact(
            "That number doesn't look right. Could you check it? "
            "For a number from abroad please include the country code, e.g. +1 212 555 0100.",
            "phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Return the normalised address (domain lower-cased) or raise :class:`InvalidContact`."""
    text = (raw or "").strip()
    if not text:
        raise InvalidContact("Please give me an email address.", "email")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidContact(
            "That email address doesn't look right. Could you type it again, e.g. name@example.com?",
            "email",
        ) from None


def normalise_contact(raw: str, region: str | None = DEFAULT_REGION) -> tuple[str, str]:
    """("email", address) when the text has an @, else ("phone", E.164)."""
    if "@" in (raw or ""):
        return "email", normalise_email(raw)
    return "phone", normalise_phone(raw, region)


def is_valid_phone(raw: str, region: str | None = DEFAULT_REGION) -> bool:
    try:
        normalise_phone(raw, region)
        return True
    except InvalidContact:
        return False


def is_valid_email(raw: str) -> bool:
    try:
        normalise_email(raw)
        return True
    except InvalidContact:
        return False


def emails_match(a: str | None, b: str | None) -> bool:
    """Case-insensitive comparison of two normalised addresses."""
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()  # type: ignore[union-attr]


def mask_phone(e164: str) -> str:
    """ "+447911123456" -> "•••••••3456" (to read back without exposing it)."""
    if not e164:
        return ""
    return "•" * max(len(e164) - 4, 0) + e164[-4:]


def mask_email(address: str) -> str:
    """ "jane.doe@example.com" -> "j•••@example.com"."""
    if not address or "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}•••@{domain}"
