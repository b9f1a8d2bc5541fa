"""The checkable facts of a sentence: its numbers, amounts and names, normalised so a passage can vouch for them.

A model that paraphrases is fine; a model that changes "25 days" to "30 days", "£50" to "$50" or "Finance" to
"Payroll" is not. These are the words where a fluent wrong answer hides, so each must appear in a passage the
sentence cites. Normalising is cheap and conservative: thousands separators go, small number words become digits
("twenty-five" = 25; not "one", which is more often a pronoun), "percent" = "%".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_TENS) + r")(?:[\s-](" + "|".join(_UNITS[1:10]) + r"))?\b|\b("
                          + "|".join(u for u in _UNITS if u != "one") + r")\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:[,\u2009\u202f]\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"([$£€¥₹])\s?(\d[\d,\u2009\u202f]*(?:\.\d+)?)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|per\s?cent\b)", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’&-]*")
_NOT_NAMES = frozenset({"i", "a", "an", "the", "if", "you", "your", "yes", "no", "it", "this", "that", "they",
                        "we", "our", "for", "in", "on", "at", "to", "and", "or", "but", "each", "every", "all"})


@dataclass(frozen=True)
class Facts:
    numbers: frozenset[str]
    amounts: frozenset[str]  # "£50", "%25"
    names: frozenset[str]  # lower-cased


def facts(text: str, first_word_is_name: bool = True) -> Facts:
    """The facts in ``text``; ``first_word_is_name=False`` for a sentence, whose first word is capitalised anyway."""
    words = _words_as_digits(text)
    numbers = frozenset(_plain(match.group()) for match in _NUMBER.finditer(words))
    amounts = {symbol + _plain(amount) for symbol, amount in _CURRENCY.findall(words)}
    amounts |= {"%" + _plain(amount) for amount in _PERCENT.findall(words)}
    names = []
    for match in _CAPITALISED.finditer(text):
        word = match.group().rstrip("'’s-").lower() if match.group().endswith(("'s", "’s")) else match.group().lower()
        if match.start() == 0 and not first_word_is_name:
            continue
        if word not in _NOT_NAMES and word not in _TENS and word not in _UNITS:
            names.append(word.strip("-'’"))
    return Facts(numbers=numbers, amounts=frozenset(amounts), names=frozenset(filter(None, names)))


def vouched(claimed: Facts, source: Facts, source_text: str) -> list[str]:
    """The facts of ``claimed`` that ``source`` does not hold (empty: every fact is vouched for)."""
    words = set(re.findall(r"[\w'’&-]+", source_text.lower()))
    missing = [number for number in claimed.numbers if number not in source.numbers]
    missing += [amount for amount in claimed.amounts if amount not in source.amounts]
    missing += [name for name in claimed.names if name not in words and name not in source.names]
    return missing


def _plain(number: str) -> str:
    """A number without thousands separators or a trailing ".0"/".00": "1,500.00" and "1500" are one number."""
    plain = re.sub(r"[,\u2009\u202f]", "", number)
    return re.sub(r"\.0+$", "", plain)


def _words_as_digits(text: str) -> str:
    def digits(match: re.Match[str]) -> str:
        if match.group(1):
            return str(_TENS[match.group(1).lower()] + (_UNITS.index(match.group(2).lower()) if match.group(2) else 0))
        word = match.group(3).lower()
        return str(_UNITS.index(word))
    return _WORD_NUMBER.sub(digits, text)
