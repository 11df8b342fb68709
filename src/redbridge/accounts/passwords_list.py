"""Rejection list of the 3,000 most common passwords (ASVS 2.1.7: check against breached lists).

``common_passwords.txt`` holds the first 3,000 entries, most common first, of the ranked
"passwords" frequency list shipped in the ``zxcvbn`` Python package 4.5.0
(https://github.com/dwolfhub/zxcvbn-python, a port of Dropbox's zxcvbn), MIT licence,
Copyright (c) 2016 Daniel Wolf. The list is vendored as data rather than depending on zxcvbn
at run time because only this list is needed and a fixed file keeps the check reproducible.
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["common_passwords", "is_common_password"]

_RESOURCE = "common_passwords.txt"


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The vendored list as a set, read from the package once per process."""
    text = resources.files("redbridge.accounts").joinpath(_RESOURCE).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


def is_common_password(pw: str) -> bool:
    """True if ``pw`` is on the list, compared case-insensitively ("PassWord" is "password").

    Exact match only: variants not on the list (say "password!2025") are left to the length
    and strength rules, since pattern-guessing here would reject many reasonable passphrases.
    """
    return pw.casefold() in common_passwords()
