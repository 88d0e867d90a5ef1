"""claims(enriched) -> [Claim]: one claim per typed quantity or typed event in a sentence, with its actors
and roles, the source its reporting clause names, and how sure the sentence is."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from streams import lang as lang_data
from streams.records import Claim, Cue, EnrichedArticle, Quantity, ResolvedActor
from streams.stages import timex
from streams.stages.enrich import article_day

# A quantity whose sentence has no type word takes the type its unit implies.
UNIT_TYPES = {
    "soldiers": "deployment", "civilians": "casualties", "people": "casualties", "prisoners": "casualties",
    "drones": "attack", "missiles": "attack", "shells": "attack", "banks": "sanctions",
    "dollars": "aid", "euros": "aid", "tanks": "arms_transfer", "aircraft": "arms_transfer",
    "vessels": "deployment",
}
# The types a count of each unit can be the point of; the nearest such type word in the sentence decides.
UNIT_COMPATIBLE = {
    "soldiers": ("deployment", "casualties", "attack"), "prisoners": ("agreement", "statement"),
    "civilians": ("casualties", "aid", "attack"),
    "people": ("casualties", "aid", "attack", "deployment", "sanctions"),
    "drones": ("attack", "arms_transfer", "deployment"), "missiles": ("attack", "arms_transfer", "deployment"),
    "shells": ("attack", "arms_transfer"), "tanks": ("arms_transfer", "attack", "deployment"),
    "aircraft": ("arms_transfer", "deployment", "attack"), "vessels": ("sanctions", "deployment", "attack"),
    "banks": ("sanctions",), "euros": ("aid", "sanctions", "arms_transfer", "agreement"),
    "dollars": ("aid", "sanctions", "arms_transfer", "agreement"), "km": ("deployment", "attack", "agreement"),
}
ARMS_REFINED = ("deployment", "aid")
MONEY = ("euros", "dollars")
# A quantity written without its unit ("circa 4.000 sarebbero stati uccisi") takes the type's usual unit.
TYPE_UNITS = {"casualties": "people", "deployment": "soldiers"}
SOURCE_KIND_PRIORITY = {"person": 0, "organization": 1, "media": 2, "group": 3, "country": 4}
REPORTING_WINDOW = 80  # characters after a marker or verb where its source is looked for
SUBJECT_GAP = 40  # characters between a subject and its speech verb ("the White House said")
ARTICLE_WORDS = {"il", "lo", "la", "l'", "i", "gli", "le", "the", "a", "an"}


def claim_id(article_id: str, start: int, end: int, claim_type: str, quantity_start: int | None) -> str:
    """Deterministic: the same article, sentence, type and quantity always give the same id."""
    key = f"{article_id}\x1f{start}\x1f{end}\x1f{claim_type}\x1f{quantity_start if quantity_start is not None else ''}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _inside(start: int, s: int, e: int) -> bool:
    return s <= start < e


def _actor_dict(a: ResolvedActor, role: str) -> dict[str, object]:
    return {"id": a.id, "name": a.name, "kind": a.kind, "country": a.country, "role": role}


@dataclass(frozen=True)
class SpeechWords:
    """Verb lists that change how a speech verb finds its speaker (from streams/lang/<lang>.json)."""

    announce: frozenset[str] = frozenset()  # "Londra ha annunciato sanzioni": the subject acts, it does not report
    participles: frozenset[str] = frozenset()  # "…, saying Moscow was…": the speaker is the sentence's subject
    final_only: frozenset[str] = frozenset()  # "…, the JCS added." counts; "the Treasury added five firms" does not


def find_source(body: str, actors: list[ResolvedActor], cues: list[Cue], words: SpeechWords = SpeechWords(),
                sentence_end: int | None = None) -> tuple[dict[str, object] | None, int | None]:
    """The sentence's source and the start of the mention used for it (so it is not also an actor)."""
    unnamed = [c for c in cues if c.kind == "unnamed_source"]
    for marker in (c for c in cues if c.kind == "attribution"):
        after = [a for a in actors if marker.end <= a.start <= marker.end + REPORTING_WINDOW]
        anon = [u for u in unnamed if marker.end <= u.start <= marker.end + REPORTING_WINDOW]
        if anon and (not after or anon[0].start < after[0].start):
            return _unnamed(anon[0], marker.text), None
        if after:
            return _source(after[0], marker.text), after[0].start
    source, start = denier(body, actors, cues)
    if source is not None:
        return source, start
    for verb in (c for c in cues if c.kind == "speech"):
        text = verb.text.lower()
        if text in words.final_only and (sentence_end is None or sentence_end - verb.end > 2):
            continue
        if text in words.participles:
            subject = [a for a in actors if a.end <= verb.start]
            if subject:
                return _source(subject[0], verb.text), subject[0].start
            continue
        before = [a for a in actors if a.end <= verb.start and verb.start - a.end <= SUBJECT_GAP
                  and not re.search(r"[,;:.!?\"]", body[a.end:verb.start])]
        anon_before = [u for u in unnamed if u.end <= verb.start and verb.start - u.end <= SUBJECT_GAP
                       and not re.search(r"[,;:.!?\"]", body[u.end:verb.start])]
        if before and text in words.announce:
            continue
        if before:
            return _source(before[-1], verb.text), before[-1].start
        if anon_before:
            return _unnamed(anon_before[-1], verb.text), None
        after = [a for a in actors if verb.end <= a.start <= verb.end + REPORTING_WINDOW]
        if after:
            best = min(after, key=lambda a: (SOURCE_KIND_PRIORITY.get(a.kind, 9), a.start))
            return _source(best, verb.text), best.start
        anon = [u for u in unnamed if verb.end <= u.start <= verb.end + REPORTING_WINDOW]
        if anon:
            return _unnamed(anon[0], verb.text), None
    return None, None


def denier(body: str, actors: list[ResolvedActor], cues: list[Cue]) -> tuple[dict[str, object] | None, int | None]:
    """"Zakharova ha respinto le accuse": who denies is the denial's source."""
    for cue in (c for c in cues if c.kind == "type" and c.label == "denial"):
        before = [a for a in actors if a.end <= cue.start and cue.start - a.end <= SUBJECT_GAP
                  and not re.search(r"[,;:.!?\"]", body[a.end:cue.start])]
        if before:
            return _source(before[-1], cue.text), before[-1].start
    return None, None


def _source(a: ResolvedActor, verb: str) -> dict[str, object]:
    return {"id": a.id, "name": a.name, "kind": a.kind, "country": a.country, "verb": verb}


def _unnamed(cue: Cue, verb: str) -> dict[str, object]:
    return {"id": None, "name": cue.text, "kind": "unnamed", "country": None, "verb": verb}


TITLE_GAP = 40  # "il presidente americano Donald Trump", "Ukrainian President Volodymyr Zelensky"


def drop_titles(body: str, actors: list[ResolvedActor]) -> list[ResolvedActor]:
    """A country named only as the nationality of a person or body that follows ("Russian President Vladimir
    Putin", "il viceministro degli Esteri russo Andrei Rudenko") is part of that actor's title, not an actor."""
    def is_title(c: ResolvedActor) -> bool:
        # a nationality before a person or body of that country; a body before a person of it
        # ("Russian Foreign Ministry spokeswoman Maria Zakharova")
        heads = ("person",) if c.kind == "organization" else ("person", "organization", "media", "group")
        return c.kind in ("country", "organization") and any(
            m.kind in heads and m.country == (c.id if c.kind == "country" else c.country)
            and 0 <= m.start - c.end <= TITLE_GAP and not re.search(r"[,;:.!?\"]", body[c.end:m.start])
            for m in actors)
    return [a for a in actors if not is_title(a)]


def assign_roles(body: str, actors: list[ResolvedActor], cues: list[Cue]) -> list[dict[str, object]]:
    """location after a locative preposition; the first other actor is the agent, the rest targets."""
    preps = [c for c in cues if c.kind == "location"]
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    agent_taken = False
    for a in actors:
        if a.id in seen:
            continue
        seen.add(a.id)
        if a.kind == "country" and any(_directly_before(body, p, a) for p in preps):
            role = "location"
        elif not agent_taken:
            role, agent_taken = "agent", True
        else:
            role = "target"
        out.append(_actor_dict(a, role))
    return out


def _directly_before(body: str, prep: Cue, actor: ResolvedActor) -> bool:
    if prep.end > actor.start:
        return False
    gap = body[prep.end:actor.start].strip().lower()
    return gap == "" or gap in ARTICLE_WORDS


def _type_of(q: Quantity, type_cues: list[Cue]) -> str | None:
    """The nearest type word the unit can be the point of; else the unit's own type; for a count without a
    unit, the nearest type word."""
    compatible = UNIT_COMPATIBLE.get(q.unit)
    candidates = [c for c in type_cues if compatible is None or c.label in compatible]
    if candidates:
        return min(candidates, key=lambda c: abs(c.start - q.start)).label
    return UNIT_TYPES.get(q.unit)


YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
SINCE = re.compile(r"(since|dal|dall'|dalla|dallo|da|fin dal|from)\s+(\S+\s+){0,5}$", re.IGNORECASE)


YEAR_WINDOW = 120  # characters between an event word and the past year that dates it


def is_background(cues: list[Cue]) -> bool:
    """History, not news: "in passato", "earlier truces", "risale al"."""
    return any(c.kind == "background" for c in cues)


def past_years(body: str, s: int, e: int, published_year: int | None) -> list[int]:
    """Offsets of years before the article's own in a sentence, except the start of a count ("since 2022")."""
    if published_year is None:
        return []
    text = body[s:e]
    return [s + m.start() for m in YEAR.finditer(text)
            if int(m.group(1)) < published_year and not SINCE.search(text[:m.start()])]


def dated_in_the_past(position: int, years: list[int]) -> bool:
    """An event word (or count) with a past year close by: "signed a treaty in June 2024"."""
    return any(abs(y - position) <= YEAR_WINDOW for y in years)


def event_cues(body: str, cues: list[Cue]) -> list[Cue]:
    """Type words that tell of an event: not "after the meeting" / "a margine del vertice" (a time reference),
    not what a denial denies ("denied that Beijing had supplied weapons": the claim is the denial)."""
    circumstantial = [c for c in cues if c.kind == "circumstantial"]
    non_events = [c for c in cues if c.kind == "non_event"]  # "l'inviato speciale": an envoy, not a sending
    denials = [c for c in cues if c.kind == "type" and c.label == "denial"]
    out = []
    for c in cues:
        if c.kind != "type" or c.label == "statement":
            continue
        if any(0 <= c.start - p.end <= 2 for p in circumstantial):
            continue
        if any(n.start <= c.start < n.end for n in non_events):
            continue
        if c.label != "denial" and any(d.end <= c.start for d in denials):
            continue
        out.append(c)
    return out


def _irrealis(cues: list[Cue]) -> bool:
    """Will, could, if, ready to, called for…: the sentence tells of an intention, a condition or a
    forecast, not of an event (an irrealis word inside a longer hedge — "would have" — does not count)."""
    hedges = [c for c in cues if c.kind == "hedge"]
    return any(c.kind == "irrealis" and not any(h.start <= c.start and c.end < h.end for h in hedges)
               for c in cues)


def claims(enriched: EnrichedArticle) -> list[Claim]:
    article = enriched.article
    if not article.lang_supported or not article.lang:
        return []
    body = article.body
    published = article_day(article.published_at)
    data = lang_data.load(article.lang)
    joiners = set(data["time"]["month_joiners"])
    words = SpeechWords(frozenset(data["announce_verbs"]), frozenset(data["participle_speech_verbs"]),
                        frozenset(data["final_speech_verbs"]))
    attack_verbs = frozenset(data["attack_verbs"])
    out: list[Claim] = []
    for sent in enriched.sentences:
        s, e = sent.start, sent.end
        cues = [c for c in enriched.cues if _inside(c.start, s, e)]
        datelined = [c for c in cues if c.kind == "dateline"]
        actors = drop_titles(body, [a for a in enriched.actors if _inside(a.start, s, e)
                                    and not any(_inside(a.start, d.start, d.end) for d in datelined)])
        quantities = [q for q in enriched.quantities if _inside(q.start, s, e)]
        source, source_start = find_source(body, actors, cues, words, e)
        reported = source is not None
        # The outlet a source spoke to ("told Reuters", "ha riferito alla TASS") is not what the claim is about.
        about = [a for a in actors if a.start != source_start and not (reported and a.kind == "media")]
        roles = assign_roles(body, about, cues)
        hedged = any(c.kind == "hedge" for c in cues)
        certainty = "hedged" if hedged else "attributed" if source else "asserted"
        if is_background(cues):
            continue
        years = past_years(body, s, e, published.year if published else None)
        type_cues = [c for c in event_cues(body, cues) if not dated_in_the_past(c.start, years)]
        quantities = [q for q in quantities if not dated_in_the_past(q.start, years)]
        typed: list[tuple[str, Quantity | None]] = []
        for quantity in quantities:
            t = _type_of(quantity, type_cues)
            if t is not None:
                typed.append((t, quantity))
        used = {t for t, _ in typed}
        if "casualties" in used and not any(c.text.lower() in attack_verbs for c in type_cues):
            used.add("attack")  # "Israeli strikes have killed 224": the strikes are how, the deaths the claim
        if not _irrealis(cues):  # events without a count, unless only intended, conditional or forecast
            typed += [(t, None) for t in _unique(c.label for c in type_cues) if t not in used]
        if not typed and source is not None and any(c.kind in ("speech", "type") for c in cues):
            typed.append(("statement", None))
        when = timex.resolve(body, cues, published, joiners) if typed else None
        if any(c.kind == "arms" for c in cues):  # sending or paying for weapons is an arms transfer
            typed = [("arms_transfer" if t in ARMS_REFINED and (q is None or q.unit in MONEY) else t, q)
                     for t, q in typed]
            typed = list(dict.fromkeys(typed))
        for t, q in typed:
            out.append(_claim(enriched, s, e, t, q, roles, source, certainty, when))
    return out


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _claim(enriched: EnrichedArticle, s: int, e: int, claim_type: str, q: Quantity | None,
           roles: list[dict[str, object]], source: dict[str, object] | None, certainty: str,
           when: dict[str, str | None] | None) -> Claim:
    article = enriched.article
    quantity = None
    unit = (q.unit or TYPE_UNITS.get(claim_type)) if q is not None else None
    if q is not None and unit:  # a count of something we have no unit for is left out, not guessed
        quantity = {"value": q.value, "unit": unit, "qualifier": q.qualifier}
    return Claim(
        claim_id=claim_id(article.id, s, e, claim_type, q.start if q else None),
        article_id=article.id, lang=article.lang or "", text=article.body[s:e], span=[s, e], type=claim_type,
        actors=roles, quantity=quantity, source=source, certainty=certainty, time=when,
        duplicate_of=article.duplicate_of,
        provenance={"outlet": article.outlet, "url": article.url, "published_at": article.published_at},
    )
