"""The built-in recognizers of tabletwin's engine, and the validator each one checks with.

Presidio pattern recognizers tightened where needed: e-mail (top-level domain checked without
``tldextract``, which would fetch the public-suffix list), payment card (12-19 digits, Luhn via
python-stdnum, issuer digit, card grouping), IBAN (ISO 13616 checksum, plus python-stdnum's
country rules), US SSN (SSA area/group/serial rules), IP (checked with :mod:`ipaddress`, version
numbers such as "Chrome/57.0.1.2" left out), URL (a bare domain only weakly); and tabletwin's own:
phone numbers (python-phonenumbers), PERSON (name dictionaries of many Faker locales +
honorifics), LOCATION (street addresses with a house number and postal boxes in several
languages, :mod:`tabletwin.pii.address`).
"""

from __future__ import annotations

from typing import Any

from tabletwin.pii.recognizers.card_number import CardNumberRecognizer
from tabletwin.pii.recognizers.email_address import OfflineEmailRecognizer
from tabletwin.pii.recognizers.iban_code import StrictIbanRecognizer
from tabletwin.pii.recognizers.ip_address import CheckedIpRecognizer
from tabletwin.pii.recognizers.person_name import PersonNameRecognizer
from tabletwin.pii.recognizers.phone_number import PhoneNumbersRecognizer
from tabletwin.pii.recognizers.street_address import StreetAddressRecognizer
from tabletwin.pii.recognizers.url import WebAddressRecognizer
from tabletwin.pii.recognizers.us_ssn import SsaSsnRecognizer

#: Name of the validator behind each built-in entity (for plan evidence).
VALIDATORS: dict[str, str] = {
    "EMAIL_ADDRESS": "email_pattern", "CREDIT_CARD": "luhn", "IBAN_CODE": "iban_checksum",
    "US_SSN": "ssa_rules", "IP_ADDRESS": "ipaddress", "URL": "url_pattern",
    "PHONE_NUMBER": "phonenumbers", "PERSON": "name_dictionary", "LOCATION": "street_pattern",
}


def builtin_recognizers() -> list[Any]:
    """A fresh instance of every built-in recognizer (in the order the engine has always used)."""
    return [
        OfflineEmailRecognizer(), CardNumberRecognizer(), StrictIbanRecognizer(),
        SsaSsnRecognizer(), CheckedIpRecognizer(), WebAddressRecognizer(), PhoneNumbersRecognizer(),
        PersonNameRecognizer(), StreetAddressRecognizer(),
    ]
