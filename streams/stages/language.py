"""Which language an article is in: lingua over a fixed set of candidates, so an article in a language we
do not support is recognised as such (flagged, counted, skipped by extraction) instead of forced into one."""

from __future__ import annotations

from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from streams import lang as lang_data

# Languages we tell apart (ISO 639-1). Supported ones (streams/lang/*.json) are always added. Low-accuracy
# mode: trigram models only (about 30 MB for all of these); plenty for article-length text.
CANDIDATES = ("it", "en", "de", "fr", "es", "pt", "nl", "ru", "uk", "pl", "tr", "ar", "zh", "ja", "ko",
              "ro", "sv", "el", "fa", "he")
MIN_LETTERS = 20  # below this, the text says too little: trust the hint
SHORT_LETTERS = 120  # below this, a hint wins over lingua (low-accuracy mode misreads a single sentence)
HINT_MARGIN = 0.5  # a hint wins while its confidence is at least half the best language's
SAMPLE_CHARS = 400  # a few sentences decide it; lingua's cost grows with the length (~0.25 ms here)


def _language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return None


@cache
def detector() -> LanguageDetector:
    codes = dict.fromkeys(CANDIDATES + lang_data.supported_languages())
    languages = [lang for lang in (_language(c) for c in codes) if lang is not None]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str, hint: str | None) -> str | None:
    """ISO 639-1 of `text`. A `hint` is trusted only when the text agrees with it (or says too little)."""
    hint = hint.lower() if hint else None
    sample = text[:SAMPLE_CHARS]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < MIN_LETTERS or (hint is not None and letters < SHORT_LETTERS):
        return hint
    confidences = {c.language.iso_code_639_1.name.lower(): c.value
                   for c in detector().compute_language_confidence_values(sample)}
    if not confidences:
        return hint
    best = max(confidences, key=lambda code: confidences[code])
    if hint is not None and confidences.get(hint, 0.0) >= HINT_MARGIN * confidences[best]:
        return hint
    return best
