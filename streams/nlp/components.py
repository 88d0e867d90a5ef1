"""Rule components registered the spaCy way (@Language.factory), driven by streams/lang/<lang>.json."""

from __future__ import annotations

from typing import Any

import numpy
from spacy.attrs import IS_SPACE, LEMMA, LIKE_NUM, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Lemmatizer
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


# The components below find their candidate tokens in one array read (`doc.to_array`) and make Token objects for
# those only: a Python loop over every token cost more than the tokenizer itself.

def where(doc: Doc, attr: int, value: int = 1) -> list[int]:
    """Indexes of the tokens whose `attr` equals `value`."""
    if not len(doc):
        return []
    return numpy.flatnonzero(doc.to_array(attr) == value).tolist()


@Language.component("claimstream_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """A blank line always ends a sentence, so a title-like line without a full stop stays alone."""
    for i in where(doc, IS_SPACE):
        if i + 1 < len(doc) and "\n" in doc[i].text:
            doc[i + 1].is_sent_start = True
    return doc


@Language.component("claimstream_sentence_repair")
def sentence_repair(doc: Doc) -> Doc:
    """No sentence starts lowercase inside a paragraph: '«Mai». ha detto Peskov.' is one sentence."""
    for i in where(doc, SENT_START):
        token = doc[i]
        if i > 0 and token.text[:1].islower() and not doc[i - 1].is_space:
            token.is_sent_start = False
    return doc


@Language.factory("claimstream_lemmatizer", default_config={"overwrite": False})
def make_lemmatizer(nlp: Language, name: str, overwrite: bool) -> LookupLemmatizer:
    return LookupLemmatizer(nlp.vocab, None, name, mode="lookup", overwrite=overwrite)


class LookupLemmatizer(Lemmatizer):
    """spaCy's lookup lemmatizer (same table, same lemmas: the form itself where the table has none), applied to
    the whole Doc as one array instead of one Token at a time."""

    _lemma_of: dict[int, int] | None = None

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self._lemma_of = None  # a new table: read it again on the next Doc

    def __call__(self, doc: Doc) -> Doc:
        if self.mode != "lookup":
            return super().__call__(doc)
        if self._lemma_of is None:  # the table is set by initialize(); read it once
            table = self.lookups.get_table("lemma_lookup", {})
            self._lemma_of = {int(form): self.vocab.strings.add(lemma) for form, lemma in table.items()}
        if not len(doc):
            return doc
        current = doc.to_array([ORTH, LEMMA])
        lemma_of = self._lemma_of
        lemmas = [lemma if lemma and not self.overwrite else lemma_of.get(orth, orth)
                  for orth, lemma in current.tolist()]
        doc.from_array([LEMMA], numpy.array(lemmas, dtype=numpy.uint64).reshape(-1, 1))  # type: ignore[arg-type]
        return doc


@Language.factory("claimstream_actors", default_config={"label": "ACTOR"})
def make_actor_ruler(nlp: Language, name: str, label: str) -> ActorRuler:
    return ActorRuler(nlp, label)


class ActorRuler:
    """Actor names as entities (doc.ents, the name key as each entity's id): registry names by lowercase form,
    exact names (acronyms, names marked '=') by their spelling. Where matches overlap, the longest wins, then the
    earliest (as in spaCy's EntityRuler, which this replaces: its Matcher for the exact names cost more per token
    than the tokenizer), then an exact-spelling match."""

    def __init__(self, nlp: Language, label: str):
        self.nlp = nlp
        self.label = label
        self.by_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.by_spelling = PhraseMatcher(nlp.vocab, attr="ORTH")

    def add(self, lowercase: dict[str, list[str]], exact: dict[str, list[str]]) -> None:
        """Names by key: `lowercase` matched whatever their case, `exact` as spelt."""
        for matcher, names in ((self.by_lower, lowercase), (self.by_spelling, exact)):
            for key, phrases in names.items():
                matcher.add(key, [self.nlp.make_doc(p) for p in phrases])

    def __call__(self, doc: Doc) -> Doc:
        matches = {(s, e, 0, key) for key, s, e in self.by_lower(doc)}
        matches |= {(s, e, 1, key) for key, s, e in self.by_spelling(doc)}
        taken: set[int] = set()
        entities = []
        for s, e, _, key in sorted(matches, key=lambda m: (m[1] - m[0], -m[0], m[2]), reverse=True):
            if s not in taken and e - 1 not in taken:
                entities.append(Span(doc, s, e, label=self.label, span_id=key))
                taken.update(range(s, e))
        doc.ents = sorted(entities, key=lambda span: span.start)
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
        casualty_starts = [s.start for s in doc.spans.get("cues", []) if s.label_ == "type:casualties"]
        found: list[dict[str, Any]] = []
        for start, end, value, approx in numbers:
            if start in subcount_ends or (start > 0 and doc[start - 1].is_alpha and start - 1 in subcount_ends):
                continue  # "including four children": part of a count already made
            q = self._quantity(doc, start, end, value, approx, qualifier_ending_at, unit_starting_at,
                               casualty_starts)
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
        numerals = where(doc, LIKE_NUM)
        covered_until = 0  # a number word's phrase hides the numerals inside it
        for i in sorted(set(words) | set(numerals)):
            if i < covered_until:
                continue
            if i in words:
                label, e = words[i]
                phrase = doc[i:e].text.lower()
                if label == "approx":
                    out.append((i, e, self.approx_words[phrase], True))
                else:
                    out.append((i, e, self.number_words[phrase], False))
                covered_until = e
                continue
            text = doc[i].text
            if not looks_like_year(text):
                value = parse_number(text, self.decimal, self.group)
                if value is not None:
                    out.append((i, i + 1, value, False))
        return out

    def _quantity(self, doc: Doc, start: int, end: int, value: float, approx: bool,
                  qualifier_ending_at: dict[int, tuple[str, int]],
                  unit_starting_at: dict[int, tuple[str, int]], casualty_starts: list[int]) -> dict[str, Any] | None:
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
        counted = qualifier is not None or approx or casualty_follows(casualty_starts, end)
        if unit is None and (not counted or self._measure_follows(doc, end)):
            return None  # "three hours", "50 billion cubic metres": a measure, not a count of a claim
        if unit is None:
            unit_end = end
        qualifier = qualifier or ("approx" if approx else "exact")
        span = doc[q_start:unit_end]
        return {"start": span.start_char, "end": span.end_char, "text": span.text,
                "value": value, "unit": unit or "", "qualifier": qualifier}

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


def casualty_follows(casualty_starts: list[int], end: int) -> bool:
    """"altri quattro sono stati feriti", "two injured": a bare count of casualties (a casualty cue starts within
    CASUALTY_WINDOW tokens of the number's end)."""
    return any(end <= start <= end + CASUALTY_WINDOW for start in casualty_starts)
