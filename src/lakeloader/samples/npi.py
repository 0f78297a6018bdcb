"""National Provider Identifiers: the Luhn check digit over the '80840' prefix, as CMS specifies."""

from __future__ import annotations

import random

NPI_PREFIX = "80840"  # the ISO card-issuer prefix CMS puts in front of the 9-digit base before the Luhn check


def luhn_check_digit(payload: str) -> int:
    """The digit that makes `payload` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # rightmost payload digit sits next to the check digit: it is doubled
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10


def npi_check_digit(base: str) -> int:
    """The check digit of a 9-digit NPI base."""
    return luhn_check_digit(NPI_PREFIX + base)


def is_valid_npi(npi: str) -> bool:
    """Whether `npi` is 10 digits, starts with 1 or 2, and its last digit is the CMS Luhn check digit."""
    return len(npi) == 10 and npi.isdigit() and npi[0] in "12" and npi_check_digit(npi[:9]) == int(npi[9])


def random_npi(rng: random.Random, *, first_digit: str = "1") -> str:
    """A valid NPI whose base is drawn from `rng`; NPIs issued today start with 1 or 2."""
    base = first_digit + f"{rng.randrange(10**8):08d}"
    return base + str(npi_check_digit(base))
