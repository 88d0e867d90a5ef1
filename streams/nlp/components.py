"""Rule components registered the spaCy way (@Language.factory), driven by streams/lang/<lang>.json."""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from streams import lang as lang_data
from streams.nlp.numbers import looks_like_year, parse_number

if not Doc.has_extension("quantities"):
    Doc.set_extension("quantities", default=None)

# Cue kinds matched on the lowercase surface only: their lemmas are too general ("avrebbe" -> "avere").
SURFACE_ONLY = ("hedge", "attribution", "unnamed_source", "location", "time", "irrealis", "background",
                "circumstantial", "arms", "non_event")
# Cue kinds matched on lemma too, so one entry covers every inflection.
SURFACE_AND_LEMMA = ("type", "speech")
SURFACE_MARK = "="  # a lexicon entry written "=moved" is matched as written, never by lemma
UNIT_WINDOW = 4  # tokens between a number and its unit ("3.000 soldati nordcoreani", "12,000 North Korean troops")
CASUALTY_WINDOW = 3  # tokens between a bare count and its casualty verb


@Language.component("claimstream_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """A blank line always ends a sentence, so a title-like line without a full stop stays alone."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


@Language.component("claimstream_sentence_repair")
def sentence_repair(doc: Doc) -> Doc:
    """No sentence starts lowercase inside a paragraph: '«Mai». ha detto Peskov.' is one sentence."""
    for token in doc[1:]:
        if token.is_sent_start and token.text[:1].islower() and not doc[token.i - 1].is_space:
            token.is_sent_start = False
    return doc


def _phrase_docs(nlp: Language, phrases: list[str], lemmatize: bool) -> list[Doc]:
    # Lemma patterns need the lemmatizer's output (only that component: the rest would recurse here).
    docs = [_tokens_of(nlp, p) for p in phrases]
    if lemmatize and nlp.has_pipe("lemmatizer"):
        lemmatizer = nlp.get_pipe("lemmatizer")
        docs = [lemmatizer(d) for d in docs]
    return docs


def _tokens_of(nlp: Language, phrase: str) -> Doc:
    """The phrase tokenised as it is in running text: an elided article ("nell'", "all'") is glued to the
    next word there, so it is tokenised with a stand-in word that is then dropped."""
    if phrase.endswith("'"):
        return nlp.make_doc(phrase + "X")[:-1].as_doc()
    return nlp.make_doc(phrase)


class LexiconMatcher:
    """Phrase lists (keyed by label) matched by lowercase form and, optionally, by lemma."""

    def __init__(self, nlp: Language, lexicon: dict[str, list[str]], lemma: bool):
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.lemma = PhraseMatcher(nlp.vocab, attr="LEMMA") if lemma else None
        self.nlp = nlp
        self.lexicon = lexicon

    def initialize(self) -> None:
        for label, phrases in self.lexicon.items():
            # "=shipped": that form only — its lemma ("ship") would also match the noun.
            surface = [p.removeprefix(SURFACE_MARK) for p in phrases]
            by_lemma = [p for p in phrases if not p.startswith(SURFACE_MARK)]
            if surface:
                self.lower.add(label, _phrase_docs(self.nlp, surface, lemmatize=False))
            if self.lemma is not None and by_lemma:
                self.lemma.add(label, _phrase_docs(self.nlp, by_lemma, lemmatize=True))

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        hits = {(doc.vocab.strings[m], s, e) for m, s, e in self.lower(doc)}
        if self.lemma is not None:
            hits |= {(doc.vocab.strings[m], s, e) for m, s, e in self.lemma(doc)}
        return sorted(hits, key=lambda h: (h[1], -h[2]))


def time_lexicon(time: dict[str, Any]) -> dict[str, list[str]]:
    """Time words by label: weekday:<0-6>, month:<1-12>, rel:<kind> (resolved in stages/timex.py)."""
    lexicon: dict[str, list[str]] = {}
    for group, prefix in (("weekdays", "weekday"), ("months", "month"), ("relative", "rel")):
        for phrase, value in time[group].items():
            lexicon.setdefault(f"{prefix}:{value}", []).append(phrase)
    return lexicon


@Language.factory("claimstream_cues", default_config={})
def make_cues(nlp: Language, name: str) -> CueTagger:
    return CueTagger(nlp)


def cue_lexicons(lang: str) -> dict[str, dict[str, list[str]]]:
    """Cue phrases by kind, then by label, from streams/lang/<lang>.json."""
    data = lang_data.load(lang)
    return {
        "hedge": {"hedge": data["hedges"]},
        "attribution": {"attribution": data["attribution_markers"]},
        "unnamed_source": {"unnamed_source": data["unnamed_sources"]},
        "location": {"location": data["location_prepositions"]},
        "speech": {"speech": data["speech_verbs"]},
        "type": data["claim_types"],
        "time": time_lexicon(data["time"]),
        "irrealis": {"irrealis": data["irrealis"]},
        "background": {"background": data["background"]},
        "circumstantial": {"circumstantial": data["circumstantial"]},
        "arms": {"arms": data["arms_nouns"]},
        "non_event": {"non_event": data["non_events"]},
    }


def lemma_phrases(lang: str) -> list[str]:
    """Every cue phrase matched by lemma: the only reason the pipeline lemmatizes."""
    return [phrase for kind, lexicon in cue_lexicons(lang).items() if kind in SURFACE_AND_LEMMA
            for phrases in lexicon.values() for phrase in phrases if not phrase.startswith(SURFACE_MARK)]


def needed_lemmas(nlp: Language, lemmatizer: Any) -> set[str]:
    """The lemmas the lemma patterns consist of, tokenised as the cue tagger does."""
    return {t.lemma_ for phrase in lemma_phrases(str(nlp.lang)) for t in lemmatizer(_tokens_of(nlp, phrase))}


class CueTagger:
    """Marks claim-type words, hedges, attribution markers, speech verbs, unnamed sources and
    location prepositions as spans in doc.spans["cues"], labelled "kind:label"."""

    def __init__(self, nlp: Language):
        self.matchers = {kind: LexiconMatcher(nlp, lexicon, lemma=kind in SURFACE_AND_LEMMA)
                         for kind, lexicon in cue_lexicons(str(nlp.lang)).items()}
        self._ready = False

    def initialize(self, get_examples: Any = None, nlp: Language | None = None) -> None:
        for matcher in self.matchers.values():
            matcher.initialize()
        self._ready = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._ready:
            self.initialize()
        spans: list[Span] = []
        for kind, matcher in self.matchers.items():
            found = [Span(doc, s, e, label=f"{kind}:{label}") for label, s, e in matcher(doc)]
            # Within one kind keep the longest match ("cessate il fuoco" over "fuoco").
            spans.extend(filter_spans(found))
        doc.spans["cues"] = sorted(spans, key=lambda s: (s.start, s.end))
        return doc


@Language.factory("claimstream_quantities", default_config={})
def make_quantities(nlp: Language, name: str) -> QuantityTagger:
    return QuantityTagger(nlp)


class QuantityTagger:
    """Finds '<qualifier> <number> [<scale>] [di|of] ... <unit>' and stores dicts in doc._.quantities:
    {start, end (chars), text, value, unit, qualifier}. Years, percentages and unitless numbers without a
    qualifier are not quantities of a claim."""

    def __init__(self, nlp: Language):
        data = lang_data.load(nlp.lang)
        self.decimal = data["number"]["decimal"]
        self.group = data["number"]["group"]
        self.number_words: dict[str, float] = {k.lower(): float(v) for k, v in data["number_words"].items()}
        self.approx_words: dict[str, float] = {k.lower(): float(v) for k, v in data["approx_number_words"].items()}
        self.scale_words: dict[str, float] = {k.lower(): float(v) for k, v in data["scale_words"].items()}
        self.percent_words = {w.lower() for w in data["percent_words"]}
        self.measure_words = {w.lower() for w in data["measure_words"]}
        self.currency = {k: v for k, v in data["currency_symbols"].items()}
        self.subcount = LexiconMatcher(nlp, {"subcount": data["subcount_markers"]}, lemma=False)
        self.qualifiers = LexiconMatcher(nlp, data["qualifiers"], lemma=False)
        self.units = LexiconMatcher(nlp, data["units"], lemma=True)
        self.word_numbers = LexiconMatcher(
            nlp, {"n": list(self.number_words), "approx": list(self.approx_words)}, lemma=False
        )
        self._ready = False

    def initialize(self, get_examples: Any = None, nlp: Language | None = None) -> None:
        for m in (self.qualifiers, self.units, self.word_numbers, self.subcount):
            m.initialize()
        self._ready = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._ready:
            self.initialize()
        qualifier_ending_at: dict[int, tuple[str, int]] = {}
        for label, s, e in self.qualifiers(doc):  # the longest phrase wins: "non più di" over "più di"
            if e not in qualifier_ending_at or s < qualifier_ending_at[e][1]:
                qualifier_ending_at[e] = (label, s)
        unit_starting_at: dict[int, tuple[str, int]] = {}
        for label, s, e in self.units(doc):
            unit_starting_at.setdefault(s, (label, e))
        numbers = self._numbers(doc)
        subcount_ends = {e for _, _, e in self.subcount(doc)}
        found: list[dict[str, Any]] = []
        for start, end, value, approx in numbers:
            if start in subcount_ends or (start > 0 and doc[start - 1].is_alpha and start - 1 in subcount_ends):
                continue  # "including four children": part of a count already made
            q = self._quantity(doc, start, end, value, approx, qualifier_ending_at, unit_starting_at)
            if q is not None:
                found.append(q)
        doc._.quantities = found
        return doc

    def _numbers(self, doc: Doc) -> list[tuple[int, int, float, bool]]:
        """(token start, token end, value, is_approximate_word) for numerals and number words."""
        out: list[tuple[int, int, float, bool]] = []
        words: dict[int, tuple[str, int]] = {}
        for label, s, e in self.word_numbers(doc):  # hits come longest first for each start
            words.setdefault(s, (label, e))
        i = 0
        while i < len(doc):
            tok = doc[i]
            if i in words:
                label, e = words[i]
                phrase = doc[i:e].text.lower()
                if label == "approx":
                    out.append((i, e, self.approx_words[phrase], True))
                else:
                    out.append((i, e, self.number_words[phrase], False))
                i = e
                continue
            if tok.like_num and not looks_like_year(tok.text):
                value = parse_number(tok.text, self.decimal, self.group)
                if value is not None:
                    out.append((i, i + 1, value, False))
            i += 1
        return out

    def _quantity(self, doc: Doc, start: int, end: int, value: float, approx: bool,
                  qualifier_ending_at: dict[int, tuple[str, int]],
                  unit_starting_at: dict[int, tuple[str, int]]) -> dict[str, Any] | None:
        # A scale word multiplies ("1,5 milioni", "2.5 million"); a number word may precede it too.
        if end < len(doc) and doc[end].lower_ in self.scale_words:
            value *= self.scale_words[doc[end].lower_]
            end += 1
        if end < len(doc) and (doc[end].lower_ in self.percent_words or doc[end].text == "%"):
            return None
        if end + 1 < len(doc) and f"{doc[end].lower_} {doc[end + 1].lower_}" in self.percent_words:
            return None
        currency = self.currency.get(doc[start - 1].text) if start > 0 else None
        if currency is not None:  # "$500 million", "€1,5 miliardi": the unit stands before the number
            start -= 1
        qualifier, q_start = qualifier_ending_at.get(start, (None, start))
        unit, unit_end = self._unit_after(doc, end, unit_starting_at)
        if currency is not None:
            unit, unit_end = currency, end
        counted = qualifier is not None or approx or self._casualty_follows(doc, end)
        if unit is None and (not counted or self._measure_follows(doc, end)):
            return None  # "three hours", "50 billion cubic metres": a measure, not a count of a claim
        if unit is None:
            unit_end = end
        qualifier = qualifier or ("approx" if approx else "exact")
        span = doc[q_start:unit_end]
        return {"start": span.start_char, "end": span.end_char, "text": span.text,
                "value": value, "unit": unit or "", "qualifier": qualifier}

    def _casualty_follows(self, doc: Doc, end: int) -> bool:
        """"altri quattro sono stati feriti", "two injured": a bare count of casualties."""
        return any(s.label_ == "type:casualties" and end <= s.start <= end + CASUALTY_WINDOW
                   for s in doc.spans.get("cues", []))

    def _measure_follows(self, doc: Doc, end: int) -> bool:
        words = [t.lower_ for t in doc[end:end + 2]]
        return any(w in self.measure_words for w in words) or " ".join(words) in self.measure_words

    def _unit_after(self, doc: Doc, end: int, unit_starting_at: dict[int, tuple[str, int]]) -> tuple[str | None, int]:
        for j in range(end, min(len(doc), end + UNIT_WINDOW)):
            if j in unit_starting_at:
                label, unit_end = unit_starting_at[j]
                return label, unit_end
            if (doc[j].is_punct and doc[j].text != "-") or doc[j].like_num or (doc[j].is_space and "\n" in doc[j].text):
                break
        return None, end

