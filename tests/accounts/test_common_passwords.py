"""The vendored common-password list (redbridge.accounts.passwords_list)."""

from __future__ import annotations

from importlib import resources

import pytest

from redbridge.accounts.passwords_list import common_passwords, is_common_password


def _lines() -> list[str]:
    text = resources.files("redbridge.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return text.splitlines()


def test_file_has_exactly_3000_unique_lowercase_entries() -> None:
    lines = _lines()
    assert len(lines) == 3000
    assert len(set(lines)) == 3000
    for line in lines:
        assert line, "no blank lines"
        assert line == line.strip()
        assert not any(ch.isspace() for ch in line)
        assert line == line.lower()
        assert not line.startswith("#"), "no header or comments"
    assert common_passwords() == frozenset(lines)


def test_file_is_ranked_most_common_first() -> None:
    # The head of zxcvbn's ranked "passwords" list.
    assert _lines()[:5] == ["123456", "password", "12345678", "qwerty", "123456789"]


@pytest.mark.parametrize("pw", ["password", "123456", "qwerty", "iloveyou", "PassWord", "QWERTY", "dragon"])
def test_common_passwords_are_rejected(pw: str) -> None:
    assert is_common_password(pw)


@pytest.mark.parametrize(
    "pw",
    ["correct horse battery staple 42", "password!2025x", "", "red-bridge-成都-火锅", "Tr0ub4dor&3-extra"],
)
def test_uncommon_passwords_pass(pw: str) -> None:
    assert not is_common_password(pw)


def test_list_is_loaded_once() -> None:
    common_passwords.cache_clear()
    for _ in range(3):
        is_common_password("hunter2")
    assert common_passwords.cache_info().misses == 1
