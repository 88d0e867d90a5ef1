"""streams/nlp/numbers.py: numerals written with each language's separators, and years.

The separators come from the language files (lang/<code>.json "number"), so the tests read them there too.
"""

from __future__ import annotations

import pytest

from streams import lang
from streams.nlp.numbers import looks_like_year, parse_number


def seps(code: str) -> tuple[str, str]:
    number = lang.load(code)["number"]
    return number["decimal"], number["group"]


def it(text: str) -> float | None:
    return parse_number(text, *seps("it"))


def en(text: str) -> float | None:
    return parse_number(text, *seps("en"))


def test_language_files_declare_the_usual_separators() -> None:
    assert seps("it") == (",", ".")
    assert seps("en") == (".", ",")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3.000", 3000),
        ("11.000", 11000),
        ("1.000.000", 1_000_000),
        ("1,5", 1.5),
        ("0,25", 0.25),
        ("1.234,5", 1234.5),
        ("12", 12),
        ("2023", 2023),
        (" 3.000 ", 3000),
        ("3,000", 3.0),  # in Italian the comma is the decimal mark
    ],
)
def test_italian_numerals(text: str, value: float) -> None:
    assert it(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "3.5",  # a '.' is grouping in Italian and must be followed by exactly three digits
        "1.23",
        "1.2345",
        "12.0000",
        "1.23.456",
        "3.000,",
        ",5",
        "1,2,3",
    ],
)
def test_invalid_italian_numerals(text: str) -> None:
    assert it(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12,000", 12000),
        ("2.5", 2.5),
        ("1,234,567", 1_234_567),
        ("1,234.5", 1234.5),
        ("12,000.50", 12000.5),
        ("1234", 1234),
        ("2.500", 2.5),  # in English the dot is the decimal mark
    ],
)
def test_english_numerals(text: str, value: float) -> None:
    assert en(text) == value


@pytest.mark.parametrize("text", ["12,00", "1,2345", "1,23,456", ".5", "5.", "1.2.3", "12,000,"])
def test_invalid_english_numerals(text: str) -> None:
    assert en(text) is None


@pytest.mark.parametrize(
    "text",
    ["", " ", "abc", "tre", "3k", "1e5", "-5", "+5", "1 000", "3.000 soldati", "12%", "$240", "1" * 33],
)
@pytest.mark.parametrize("code", ["it", "en"])
def test_garbage_is_none(text: str, code: str) -> None:
    assert parse_number(text, *seps(code)) is None


def test_results_are_floats() -> None:
    value = it("3.000")
    assert isinstance(value, float)


def test_same_string_means_different_numbers_per_language() -> None:
    assert it("3.000") == 3000 and en("3.000") == 3.0
    assert en("3,000") == 3000 and it("3,000") == 3.0


@pytest.mark.parametrize("text", ["1896", "1800", "1961", "2014", "2023", "2099", " 2026 "])
def test_years(text: str) -> None:
    assert looks_like_year(text)


@pytest.mark.parametrize("text", ["1799", "2100", "3000", "202", "20230", "2.023", "2,023", "12", "anno", ""])
def test_not_years(text: str) -> None:
    assert not looks_like_year(text)
