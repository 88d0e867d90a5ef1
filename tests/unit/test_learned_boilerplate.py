"""Learned furniture per outlet (streams/stages/boilerplate.py) and how clean()/finish() use it with a shared
CleanMemory: a short line in K distinct articles of one outlet is that outlet's furniture; copies teach nothing;
the same article id always gets the same decisions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from streams.records import CleanArticle, RawArticle
from streams.stages import boilerplate, dedupe
from streams.stages.boilerplate import LineKey, Sightings
from streams.stages.clean import CleanConfig, CleanMemory, clean, outlet_of, prepare, rebuild_in_steps
from streams.stages.rejected import Rejected

K = 3
WINDOW = 14 * 86400.0
T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
LAGO = "corrieredellago.example"
VALLE = "lavocedellavalle.example"
# Ends like a sentence and has 10 words, so the static furniture rules keep it ("Segui ..." without the full stop
# is already dropped by prepare as a teaser): only learning can take it out.
FOOTER = "Segui il Corriere del Lago anche su Telegram e WhatsApp."
CONFIG = CleanConfig(learn_min_articles=K)

# Local stories of one outlet, all different.
STORIES: list[list[str]] = [
    [
        "COMO – Una frana di circa duecento metri cubi di terra e roccia si è staccata nella notte dal versante "
        "sopra la statale Regina, all'altezza di Argegno. Nessun veicolo è stato coinvolto, ma la strada è chiusa "
        "in entrambe le direzioni.",
        "I geologi della Provincia hanno effettuato un primo sopralluogo all'alba e non escludono nuovi "
        "distacchi. Il traffico viene deviato sulla provinciale della Val d'Intelvi, con tempi di percorrenza "
        "raddoppiati nelle ore di punta.",
        "Il sindaco ha chiesto alla Regione un intervento urgente per le reti paramassi. La riapertura, secondo "
        "le prime stime, non avverrà prima di dieci giorni.",
    ],
    [
        "COMO – L'ospedale Sant'Anna inaugurerà a fine mese il nuovo reparto di pediatria, con ventiquattro posti "
        "letto e una sala giochi progettata insieme alle associazioni dei genitori. Il cantiere era partito due "
        "anni fa.",
        "Il direttore generale dell'azienda sanitaria ha spiegato che il reparto potrà accogliere anche i piccoli "
        "pazienti oncologici, che finora dovevano essere trasferiti a Milano. Sono stati assunti otto infermieri "
        "e tre medici.",
        "La spesa complessiva è stata di sei milioni di euro, in gran parte coperti da fondi regionali. Una "
        "fondazione cittadina ha donato gli arredi e le apparecchiature per la terapia intensiva neonatale.",
    ],
    [
        "LECCO – Il consiglio comunale ha approvato ieri sera il bilancio di previsione con diciotto voti "
        "favorevoli e dodici contrari, al termine di una seduta durata oltre sei ore. L'opposizione ha "
        "abbandonato l'aula prima del voto finale.",
        "Il documento prevede un aumento dei fondi per la manutenzione delle scuole e il taglio di alcune spese "
        "di rappresentanza. L'addizionale comunale resta invariata per il terzo anno consecutivo.",
        "L'assessore al bilancio ha difeso la scelta di non ricorrere a nuovi mutui. Le minoranze contestano "
        "invece la vendita di due immobili comunali nel centro storico, che giudicano affrettata.",
    ],
    [
        "MENAGGIO – Un incendio boschivo è divampato nel pomeriggio sulle pendici del monte Grona, alimentato dal "
        "vento forte e dalla siccità delle ultime settimane. Le fiamme hanno già percorso una decina di ettari "
        "di bosco.",
        "Sul posto sono intervenuti due elicotteri della Regione e un canadair, oltre a una trentina di "
        "volontari dell'antincendio boschivo. Alcune baite isolate sono state evacuate in via precauzionale.",
        "I carabinieri forestali non escludono l'origine dolosa e hanno avviato accertamenti. Il sindaco ha "
        "vietato l'accesso ai sentieri della zona fino a nuovo ordine.",
    ],
    [
        "CANTÙ – Il mercato del sabato lascerà piazza Garibaldi e si trasferirà per tutta l'estate nel parcheggio "
        "di via Manzoni, per consentire i lavori di rifacimento della pavimentazione. Le bancarelle saranno "
        "centoventi.",
        "I commercianti ambulanti hanno chiesto più posti auto per i clienti e una navetta gratuita dal centro. "
        "L'amministrazione ha promesso una segnaletica provvisoria e la presenza della polizia locale.",
        "I lavori in piazza dovrebbero concludersi entro settembre. Il costo dell'intervento è di un milione e "
        "mezzo di euro, finanziato con fondi del piano nazionale di ripresa.",
    ],
    [
        "ERBA – Gli alunni della scuola media Puecher torneranno in classe solo a novembre: i lavori di "
        "adeguamento antisismico dell'edificio si sono rivelati più complessi del previsto. Nel frattempo le "
        "lezioni si terranno in un istituto superiore vicino.",
        "I genitori lamentano i doppi turni e i disagi per i trasporti. Il Comune ha organizzato un servizio di "
        "scuolabus aggiuntivo per le famiglie che abitano nelle frazioni.",
        "Durante i sondaggi sono emerse travi in cattive condizioni, che dovranno essere sostituite. L'impresa "
        "assicura che il nuovo cronoprogramma verrà rispettato.",
    ],
    [
        "BELLAGIO – Le presenze turistiche sul lago hanno superato quest'estate i livelli record del 2019, con un "
        "aumento del dodici per cento rispetto all'anno scorso. Crescono soprattutto i visitatori americani e "
        "australiani.",
        "Gli albergatori segnalano però la difficoltà di trovare personale stagionale, in particolare cuochi e "
        "camerieri. Molte strutture hanno dovuto ridurre i giorni di apertura del ristorante.",
        "L'associazione dei commercianti chiede un piano per il traffico nei fine settimana, quando la strada "
        "costiera resta bloccata per ore. Il prefetto ha convocato un tavolo per la prossima settimana.",
    ],
    [
        "COMO – La società di navigazione ha presentato il nuovo orario invernale dei battelli, con corse ridotte "
        "nei giorni feriali e un potenziamento dei collegamenti tra Cadenabbia e Varenna. Il servizio partirà "
        "il primo novembre.",
        "I pendolari contestano la soppressione della prima corsa del mattino, usata da molti studenti. La "
        "società replica che i passeggeri erano meno di dieci al giorno.",
        "Sono previsti anche due nuovi aliscafi elettrici, che entreranno in servizio la prossima primavera. Il "
        "costo, quaranta milioni di euro, è coperto da fondi europei.",
    ],
]
# A wire story and the copies of it that other outlets run.
WIRE = [
    "BRUXELLES – I ministri dell'Energia dei Ventisette hanno raggiunto nella notte un accordo sul tetto al "
    "prezzo del gas, dopo quasi dieci ore di trattative. Il meccanismo scatterà quando il prezzo di riferimento "
    "supererà i 180 euro al megawattora per tre giorni consecutivi.",
    "Secondo la presidenza di turno, l'intesa è stata approvata a maggioranza qualificata, con il voto contrario "
    "dell'Ungheria e l'astensione dei Paesi Bassi e dell'Austria. La Germania ha dato il suo via libera in "
    "cambio di una clausola di sospensione automatica.",
    "\"È un segnale chiaro ai mercati e alle famiglie\", ha dichiarato il ministro italiano dell'Ambiente e della "
    "Sicurezza energetica. La Commissione presenterà entro due settimane il regolamento attuativo.",
]
VALLE_LINE = "A cura della redazione esteri della Voce della Valle"  # only ever in VALLE's copies of WIRE


def body_of(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def raw(article_id: str, paragraphs: list[str], outlet: str | None = LAGO, url: str | None = None) -> RawArticle:
    return RawArticle(id=article_id, outlet=outlet, url=url, lang="it", title="Cronaca del lago",
                      text=body_of(paragraphs))


def run(article: RawArticle, now: datetime, memory: CleanMemory) -> CleanArticle:
    result = clean(article, now, memory, CONFIG)
    assert isinstance(result, CleanArticle), result
    return result


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


# --- boilerplate.py on its own ---------------------------------------------------------------------------------


def teach(lines: dict[LineKey, Sightings], outlet: str, article_id: str, paragraphs: list[str], now: float) -> None:
    lines.update(boilerplate.record(outlet, boilerplate.short_line_hashes(paragraphs), article_id, lines, now, K,
                                    WINDOW))


def learned(lines: Mapping[LineKey, Sightings], outlet: str, article_id: str, paragraphs: list[str],
            now: float) -> set[str]:
    return boilerplate.learned_hashes(outlet, paragraphs, article_id, lines, now, K, WINDOW)


def test_line_hash_ignores_case_and_spacing_and_keys_are_per_outlet() -> None:
    assert boilerplate.line_hash(FOOTER) == boilerplate.line_hash("  segui il corriere del lago  anche su\ttelegram "
                                                                   "e whatsapp. ")
    assert boilerplate.line_hash(FOOTER) != boilerplate.line_hash(FOOTER[:-1])
    digest = boilerplate.line_hash(FOOTER)
    assert boilerplate.line_key(LAGO, digest) != boilerplate.line_key(VALLE, digest)


def test_a_line_in_k_articles_of_an_outlet_is_learned_for_that_outlet_only() -> None:
    lines: dict[LineKey, Sightings] = {}
    for n in range(K):
        teach(lines, LAGO, f"lago-{n}", [STORIES[n][0], FOOTER], 1000.0 + n)
    fourth = [STORIES[K][0], FOOTER]
    assert learned(lines, LAGO, "lago-new", fourth, 1010.0) == {boilerplate.line_hash(FOOTER)}
    assert learned(lines, VALLE, "valle-new", fourth, 1010.0) == set()


def test_k_minus_one_articles_do_not_teach_a_line() -> None:
    lines: dict[LineKey, Sightings] = {}
    for n in range(K - 1):
        teach(lines, LAGO, f"lago-{n}", [FOOTER], 1000.0 + n)
    assert learned(lines, LAGO, "lago-new", [FOOTER], 1010.0) == set()


def test_an_article_does_not_count_towards_its_own_lines() -> None:
    lines: dict[LineKey, Sightings] = {}
    for n in range(K):
        teach(lines, LAGO, f"lago-{n}", [FOOTER], 1000.0 + n)
    assert learned(lines, LAGO, "lago-2", [FOOTER], 1010.0) == set()  # only two OTHER articles carry it


def test_the_same_article_id_counted_twice_is_one_article() -> None:
    lines: dict[LineKey, Sightings] = {}
    teach(lines, LAGO, "lago-0", [FOOTER], 1000.0)
    teach(lines, LAGO, "lago-1", [FOOTER], 1001.0)
    teach(lines, LAGO, "lago-1", [FOOTER], 1002.0)  # redelivered
    teach(lines, LAGO, "lago-1", [FOOTER, FOOTER], 1003.0)  # a line twice in one article
    assert learned(lines, LAGO, "lago-new", [FOOTER], 1010.0) == set()
    [entry] = lines.values()
    assert sorted(a for a, _ in entry) == ["lago-0", "lago-1"]


def test_lines_longer_than_max_line_chars_are_never_learned() -> None:
    long_line = ("Il Corriere del Lago è un quotidiano indipendente: sostieni il nostro lavoro con un abbonamento "
                 "digitale, ricevi ogni mattina la rassegna delle notizie del territorio e accedi all'archivio. ")
    long_line = (long_line * 2).strip()
    at_limit = "x" * boilerplate.MAX_LINE_CHARS
    assert len(long_line) > boilerplate.MAX_LINE_CHARS
    lines: dict[LineKey, Sightings] = {}
    for n in range(K + 2):
        teach(lines, LAGO, f"lago-{n}", [long_line, at_limit], 1000.0 + n)
    assert boilerplate.line_key(LAGO, boilerplate.line_hash(long_line)) not in lines
    assert learned(lines, LAGO, "lago-new", [long_line, at_limit], 1010.0) == {boilerplate.line_hash(at_limit)}


def test_sightings_older_than_the_window_do_not_count() -> None:
    lines: dict[LineKey, Sightings] = {}
    for n in range(K):
        teach(lines, LAGO, f"lago-{n}", [FOOTER], 1000.0)
    assert learned(lines, LAGO, "lago-new", [FOOTER], 1000.0 + WINDOW) == {boilerplate.line_hash(FOOTER)}
    assert learned(lines, LAGO, "lago-new", [FOOTER], 1000.0 + WINDOW + 1) == set()
    # two old sightings and two recent ones: only the recent two count
    lines = {}
    teach(lines, LAGO, "old-1", [FOOTER], 0.0)
    teach(lines, LAGO, "old-2", [FOOTER], 0.0)
    teach(lines, LAGO, "new-1", [FOOTER], WINDOW + 10)
    teach(lines, LAGO, "new-2", [FOOTER], WINDOW + 20)
    assert learned(lines, LAGO, "lago-new", [FOOTER], WINDOW + 30) == set()


def test_record_keeps_at_most_k_plus_one_recent_ids() -> None:
    lines: dict[LineKey, Sightings] = {}
    for n in range(10):
        teach(lines, LAGO, f"lago-{n}", [FOOTER], 1000.0 + n)
    [entry] = lines.values()
    assert [a for a, _ in entry] == ["lago-6", "lago-7", "lago-8", "lago-9"]
    assert len(entry) == K + 1


def test_record_drops_sightings_older_than_the_window() -> None:
    lines: dict[LineKey, Sightings] = {}
    teach(lines, LAGO, "old", [FOOTER], 0.0)
    teach(lines, LAGO, "new", [FOOTER], WINDOW + 1)
    [entry] = lines.values()
    assert [a for a, _ in entry] == ["new"]


def test_record_writes_only_short_lines_of_this_outlet() -> None:
    updates = boilerplate.record(LAGO, boilerplate.short_line_hashes(STORIES[0] + [FOOTER]), "lago-0", {}, 1000.0,
                                 K, WINDOW)
    short = [p for p in STORIES[0] + [FOOTER] if len(p) <= boilerplate.MAX_LINE_CHARS]
    assert set(updates) == {boilerplate.line_key(LAGO, boilerplate.line_hash(p)) for p in short}
    assert all(entry == (("lago-0", 1000.0),) for entry in updates.values())


def test_expired_returns_keys_whose_sightings_are_all_old() -> None:
    now = 10 * WINDOW
    items: list[tuple[LineKey, Sightings]] = [
        ((LAGO, "all-old"), (("a", now - WINDOW - 1), ("b", now - 2 * WINDOW))),
        ((LAGO, "one-recent"), (("a", now - WINDOW - 1), ("b", now - 10))),
        ((LAGO, "at-edge"), (("a", now - WINDOW),)),
        ((LAGO, "empty"), ()),
    ]
    assert boilerplate.expired(items, now, WINDOW) == [(LAGO, "all-old"), (LAGO, "empty")]


# --- through clean() with a shared CleanMemory -----------------------------------------------------------------


def test_footer_in_three_stories_is_learned_for_the_fourth_and_not_for_another_outlet() -> None:
    memory = CleanMemory()
    first = [run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory) for n in range(K)]
    for article in first:
        assert article.body.endswith("\n\n" + FOOTER)
        assert article.boilerplate_learned == 0
    fourth = run(raw("lago-3", STORIES[3] + [FOOTER]), at(3), memory)
    assert fourth.boilerplate_learned == 1
    assert FOOTER not in fourth.body
    assert fourth.body == body_of(STORIES[3])
    other = run(raw("valle-1", STORIES[4] + [FOOTER], outlet=VALLE), at(4), memory)
    assert other.boilerplate_learned == 0
    assert other.body.endswith("\n\n" + FOOTER)


def test_footer_is_learned_wherever_it_stands_and_only_that_line_goes() -> None:
    memory = CleanMemory()
    for n in range(K):
        run(raw(f"lago-{n}", [FOOTER] + STORIES[n]), at(n), memory)
    fourth = run(raw("lago-3", [STORIES[3][0], FOOTER] + STORIES[3][1:]), at(3), memory)
    assert fourth.body == body_of(STORIES[3])
    assert fourth.boilerplate_learned == 1


def test_outlet_without_a_name_is_its_url_host_for_learning() -> None:
    memory = CleanMemory()
    for n in range(K):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory)
    by_url = raw("lago-3", STORIES[3] + [FOOTER], outlet=None, url=f"https://www.{LAGO}/cronaca/incendio-grona")
    assert run(by_url, at(3), memory).boilerplate_learned == 1


def test_syndicated_copies_are_flagged_and_teach_no_lines() -> None:
    memory = CleanMemory()
    original = run(raw("agenzia-1", WIRE, outlet="agenzianord.example"), at(0), memory)
    assert original.duplicate_of is None
    for n in range(K):
        copy = run(raw(f"valle-copy-{n}", WIRE + [VALLE_LINE], outlet=VALLE), at(1 + n), memory)
        assert copy.duplicate_of == "agenzia-1"
        assert copy.body.endswith("\n\n" + VALLE_LINE)
    assert not [key for key in memory.lines if key[0] == VALLE]
    story = run(raw("valle-story", STORIES[5] + [VALLE_LINE], outlet=VALLE), at(5), memory)
    assert story.duplicate_of is None
    assert story.boilerplate_learned == 0
    assert story.body == body_of(STORIES[5] + [VALLE_LINE])


def test_same_article_id_cleaned_twice_gets_the_same_body_and_duplicate_of() -> None:
    memory = CleanMemory()
    first_lago = run(raw("lago-0", STORIES[0] + [FOOTER]), at(0), memory)
    first_wire = run(raw("agenzia-1", WIRE, outlet="agenzianord.example"), at(0.5), memory)
    first_copy = run(raw("lago-copy", WIRE + [FOOTER]), at(1), memory)
    assert first_copy.duplicate_of == "agenzia-1"
    for n in range(1, K + 1):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(1 + n), memory)
    learned_now = run(raw("lago-new", STORIES[6] + [FOOTER]), at(8), memory)
    assert learned_now.boilerplate_learned == 1  # the outlet has learned the footer since lago-0 was first seen
    seen_before = {k: dict(v) for k, v in memory.seen.items()}
    for first, article, later in [
        (first_lago, raw("lago-0", STORIES[0] + [FOOTER]), at(9)),
        (first_wire, raw("agenzia-1", WIRE, outlet="agenzianord.example"), at(10)),
        (first_copy, raw("lago-copy", WIRE + [FOOTER]), at(11)),
        (learned_now, raw("lago-new", STORIES[6] + [FOOTER]), at(12)),
        (first_copy, raw("lago-copy", WIRE + [FOOTER]), T0 + timedelta(days=30)),  # long after every window
    ]:
        again = run(article, later, memory)
        assert again.body == first.body, article.id
        assert again.duplicate_of == first.duplicate_of, article.id
        assert again.boilerplate_learned == first.boilerplate_learned, article.id
    assert memory.seen == seen_before  # a replay writes nothing new


def test_article_of_nothing_but_learned_furniture_is_no_content() -> None:
    memory = CleanMemory()
    for n in range(K):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory)
    result = clean(raw("lago-empty", [FOOTER]), at(4), memory, CONFIG)
    assert isinstance(result, Rejected)
    assert result.reason == "no_content"
    assert "lago-empty" not in memory.seen
    # the same line alone from an outlet that never taught it is content
    assert isinstance(clean(raw("valle-short", [FOOTER], outlet=VALLE), at(5), memory, CONFIG), CleanArticle)


def test_learned_footer_is_removed_from_every_later_article_within_the_window() -> None:
    memory = CleanMemory()
    for n in range(K):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory)
    for n, day in enumerate([1, 5, 9, 13], start=K):
        article = run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), T0 + timedelta(days=day), memory)
        assert article.boilerplate_learned == 1, day
        assert article.body == body_of(STORIES[n])


def test_learned_footer_does_not_leak_back_after_the_learning_window() -> None:
    memory = CleanMemory()
    for n in range(K):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory)
    for n, day in enumerate([1, 5, 9, 13, 15], start=K):
        article = run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), T0 + timedelta(days=day), memory)
        assert article.boilerplate_learned == 1, f"day {day}: {article.body[-80:]!r}"


# --- the sightings as a cache of the seen entries (how the stream keeps them) -----------------------------------


def feed(memory: CleanMemory) -> None:
    """Originals of two outlets, one without a name, copies, a re-send, and sightings that age out."""
    for n in range(K):
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), at(n), memory)
    run(raw("agenzia-1", WIRE, outlet="agenzianord.example"), at(4), memory)
    run(raw("valle-copy", WIRE + [VALLE_LINE], outlet=VALLE), at(5), memory)
    run(raw("lago-1", STORIES[1] + [FOOTER]), at(6), memory)  # the same id again
    run(raw("host-only", STORIES[4] + [FOOTER], outlet=None, url=f"https://www.{LAGO}/cronaca/x"), at(7), memory)
    for n, day in enumerate([10, 15, 16], start=5):  # past the window of the first sightings
        run(raw(f"lago-{n}", STORIES[n] + [FOOTER]), T0 + timedelta(days=day), memory)


def rebuilt(entries: list[tuple[str, dict[str, Any]]]) -> tuple[dedupe.BandIndex, dict[LineKey, Sightings]]:
    """The caches a restarted worker makes from these entries (clean.rebuild_in_steps, in one step)."""
    index: dedupe.BandIndex = dedupe.new_index()
    lines: dict[LineKey, Sightings] = {}
    for _done in rebuild_in_steps(entries, index, lines, CONFIG, max(len(entries), 1)):
        pass
    return index, lines


def test_sightings_rebuilt_from_the_seen_entries_are_the_ones_the_articles_made() -> None:
    memory = CleanMemory()
    feed(memory)
    assert memory.lines, "nothing was learned: the comparison below would be empty"
    assert rebuilt(list(memory.seen.items()))[1] == memory.lines


def test_rebuild_reads_the_entries_in_the_order_they_were_seen() -> None:
    memory = CleanMemory()
    feed(memory)
    shuffled = sorted(memory.seen.items(), reverse=True)
    assert rebuilt(shuffled)[1] == memory.lines


def test_only_originals_with_an_outlet_carry_lines_in_their_entry() -> None:
    memory = CleanMemory()
    feed(memory)
    assert "lines" not in memory.seen["valle-copy"]  # a copy teaches nothing
    assert memory.seen["host-only"]["outlet"] == LAGO
    assert memory.seen["lago-0"]["lines"] == boilerplate.short_line_hashes(STORIES[0] + [FOOTER])


def test_a_cleaner_with_rebuilt_sightings_decides_like_the_one_that_made_them() -> None:
    memory = CleanMemory()
    feed(memory)
    restarted = CleanMemory(lines=rebuilt(list(memory.seen.items()))[1],
                            seen=dict(memory.seen), index=rebuilt(list(memory.seen.items()))[0])
    late = T0 + timedelta(days=16, hours=1)
    for mem in (memory, restarted):
        article = run(raw("lago-late", STORIES[0][:2] + [FOOTER]), late, mem)
        assert article.boilerplate_learned == 1


@pytest.mark.parametrize("step", [1, 2, 3, 1000])
def test_caches_rebuilt_a_step_at_a_time_are_the_ones_rebuilt_in_one_go(step: int) -> None:
    memory = CleanMemory()
    feed(memory)
    entries = sorted(memory.seen.items(), reverse=True)  # not in the order they were seen
    index, lines = dedupe.new_index(), {}
    done = list(rebuild_in_steps(entries, index, lines, CONFIG, step))
    assert done == [min(n + step, len(entries)) for n in range(0, len(entries), step)]
    assert lines == memory.lines
    assert set(index.keys) == set(memory.index.keys)


# --- outlet_of ---------------------------------------------------------------------------------------------------


def prepared(outlet: str | None, url: str | None) -> CleanArticle:
    result = prepare(RawArticle(id="x", outlet=outlet, url=url, lang="it", text=body_of(STORIES[0])), T0)
    assert isinstance(result, CleanArticle), result
    return result


@pytest.mark.parametrize(("outlet", "url", "expected"), [
    ("Corriere del Lago ", None, "corriere del lago"),
    (LAGO, "https://www.altro.example/x", LAGO),
    (None, f"https://www.{LAGO}/cronaca/frana-argegno", LAGO),
    (None, "https://WWW.CorriereDelLago.example:8443/cronaca?id=3", LAGO),
    (None, f"http://{LAGO}/", LAGO),
    (None, f"https://m.{LAGO}/cronaca", f"m.{LAGO}"),
    ("", f"https://www.{LAGO}/cronaca", LAGO),
    (None, "not a url", None),
    (None, None, None),
])
def test_outlet_of(outlet: str | None, url: str | None, expected: str | None) -> None:
    assert outlet_of(prepared(outlet, url)) == expected


def test_blank_outlet_falls_back_to_the_url_host() -> None:
    assert outlet_of(prepared("   ", f"https://www.{LAGO}/cronaca/frana")) == LAGO
