"""Who is who. Country names in every language come from babel (CLDR) and pycountry; registry.json
holds what no library has: demonyms, capitals and seats of power, persons with their term of office,
media and organisations."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from babel import Locale

ANY_LANG = "*"
EXACT_MARK = "="  # a registry name written "=Nato" matches that exact spelling only ("nato" is "born")


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str  # country | person | organization | media | group
    country: str | None  # ISO 3166-1 alpha-3
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return self.valid_to is None
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


def name_key(name: str) -> str:
    """The key a surface name is indexed by: NFC, lowercase, typographic apostrophes folded, spaces collapsed."""
    text = unicodedata.normalize("NFC", name).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.lower().split())


def is_exact(name: str) -> bool:
    """Marked '=', or an acronym: 'NATO' must not match the Italian word 'nato'."""
    letters = name.replace(".", "")
    return name.startswith(EXACT_MARK) or (letters.isupper() and len(letters) <= 6)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def country_names(lang: str) -> dict[str, str]:
    """{name in `lang`: ISO3} for every territory babel names that is a pycountry country."""
    names: dict[str, str] = {}
    for code, name in Locale.parse(lang).territories.items():
        if len(code) != 2 or not code.isalpha():
            continue
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            names[name] = country.alpha_3
    return names


def english_country_name(iso3: str) -> str:
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return iso3
    english = Locale.parse("en").territories.get(country.alpha_2)
    return str(english or getattr(country, "common_name", None) or country.name)


def _default_name(entry: dict[str, Any]) -> str:
    return english_country_name(entry["id"]) if entry["kind"] == "country" else str(entry["id"])


class Registry:
    """Names (per language) -> candidate actors; resolved by term of office as of a date."""

    def __init__(self, data: dict[str, Any], languages: tuple[str, ...]):
        self.languages = languages
        self._by_name: dict[str, dict[str, list[Actor]]] = {lang: {} for lang in languages}
        self._exact: dict[str, set[str]] = {lang: set() for lang in languages}
        self._loose: dict[str, set[str]] = {lang: set() for lang in languages}  # keys matched in any case
        self.actors: dict[str, Actor] = {}
        case_sensitive = data.get("case_sensitive_country_names", {})
        for lang in languages:
            collide = set(case_sensitive.get(lang, []))  # "Riunione" is Réunion, "riunione" a meeting
            for name, iso3 in country_names(lang).items():
                actor = self._country(iso3)
                self._add(lang, EXACT_MARK + name if name in collide else name, actor)
        for entry in data["actors"]:
            actor = Actor(
                id=entry["id"], kind=entry["kind"], country=entry.get("country"),
                name=entry.get("name") or _default_name(entry),
                valid_from=_date(entry.get("valid_from")), valid_to=_date(entry.get("valid_to")),
            )
            self.actors[actor.id] = actor
            for lang, names in entry.get("names", {}).items():
                targets = languages if lang == ANY_LANG else (lang,) if lang in languages else ()
                for target in targets:
                    for name in names:
                        self._add(target, name, actor)

    def _country(self, iso3: str) -> Actor:
        if iso3 not in self.actors:
            self.actors[iso3] = Actor(id=iso3, name=english_country_name(iso3), kind="country", country=iso3)
        return self.actors[iso3]

    def _add(self, lang: str, name: str, actor: Actor) -> None:
        if is_exact(name):
            name = name.removeprefix(EXACT_MARK)
            self._exact[lang].add(name)
        else:
            self._loose[lang].add(name_key(name))
        candidates = self._by_name[lang].setdefault(name_key(name), [])
        if actor not in candidates:
            candidates.append(actor)

    def names(self, lang: str) -> list[str]:
        """Every case-insensitive name key known in `lang` (phrase patterns of the actor EntityRuler)."""
        return sorted(self._loose.get(lang, set()))

    def exact_names(self, lang: str) -> list[str]:
        """Names matched with their exact spelling only (acronyms, and names marked '=')."""
        return sorted(self._exact.get(lang, set()))

    def resolve(self, key: str, lang: str, as_of: date | None) -> Actor | None:
        """The actor a name meant on `as_of` (the latest holder when the date is unknown)."""
        candidates = self._by_name.get(lang, {}).get(name_key(key), [])
        if not candidates:
            return None
        valid = [a for a in candidates if a.valid_on(as_of)]
        if valid:
            return valid[0]
        if as_of is None:
            return max(candidates, key=lambda a: a.valid_from or date.min)
        return None


@cache
def load_registry(languages: tuple[str, ...]) -> Registry:
    text = resources.files("streams.actors").joinpath("registry.json").read_text(encoding="utf-8")
    return Registry(json.loads(text), languages)
