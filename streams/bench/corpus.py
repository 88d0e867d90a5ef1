"""Generated wire stories for `claimstream bench`: Italian and English, 350-800 words, with page furniture, and
about a third as raw HTML pages. Written for this project; templates with slots, drawn with a seeded RNG so a
run is repeatable. Each story mixes claim-bearing paragraphs (who says what about whom, how many, how sure) with
background, the way agency copy does."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any


@dataclass(frozen=True)
class Country:
    it: str  # "la Russia"-less name as used after prepositions
    it_adj: str
    en: str
    en_adj: str
    capital: str


COUNTRIES = [
    Country("Russia", "russi", "Russia", "Russian", "Mosca"),
    Country("Ucraina", "ucraini", "Ukraine", "Ukrainian", "Kiev"),
    Country("Corea del Nord", "nordcoreani", "North Korea", "North Korean", "Pyongyang"),
    Country("Corea del Sud", "sudcoreani", "South Korea", "South Korean", "Seul"),
    Country("Iran", "iraniani", "Iran", "Iranian", "Teheran"),
    Country("Israele", "israeliani", "Israel", "Israeli", "Gerusalemme"),
    Country("Cina", "cinesi", "China", "Chinese", "Pechino"),
    Country("Turchia", "turchi", "Turkey", "Turkish", "Ankara"),
    Country("Polonia", "polacchi", "Poland", "Polish", "Varsavia"),
    Country("Bielorussia", "bielorussi", "Belarus", "Belarusian", "Minsk"),
]
EN_CAPITAL = {"Mosca": "Moscow", "Seul": "Seoul", "Teheran": "Tehran", "Gerusalemme": "Jerusalem",
              "Pechino": "Beijing", "Varsavia": "Warsaw"}

PEOPLE = [  # (name, Italian role, English role)
    ("Volodymyr Zelensky", "il presidente ucraino", "Ukrainian President"),
    ("Vladimir Putin", "il presidente russo", "Russian President"),
    ("Sergei Lavrov", "il ministro degli Esteri russo", "Russian Foreign Minister"),
    ("Dmitry Peskov", "il portavoce del Cremlino", "Kremlin spokesman"),
    ("Rustem Umerov", "il ministro della Difesa ucraino", "Ukrainian Defence Minister"),
    ("Antonio Tajani", "il ministro degli Esteri", "Italian Foreign Minister"),
    ("Guido Crosetto", "il ministro della Difesa", "Italian Defence Minister"),
    ("Mark Rutte", "il segretario generale della Nato", "NATO Secretary General"),
    ("Emmanuel Macron", "il presidente francese", "French President"),
    ("Kaja Kallas", "l'Alta rappresentante Ue", "EU foreign policy chief"),
    ("Kim Jong Un", "il leader nordcoreano", "North Korean leader"),
    ("Recep Tayyip Erdogan", "il presidente turco", "Turkish President"),
]
REGIONS = ["Kursk", "Donetsk", "Zaporizhzhia", "Kharkiv", "Kherson", "Belgorod", "Sumy", "Odessa", "Dnipro"]
OUTLETS_IT = ["cronacaestera.test", "gazzettadelmondo.test", "ilnotiziario24.test", "agenziastampa.test",
              "corrierediplomatico.test", "lavocedelnord.test", "quotidianodisud.test", "radioesteri.test"]
OUTLETS_EN = ["worlddesk.test", "dailywire-news.test", "theglobeherald.test", "frontline-report.test",
              "capitalpost.test", "northernobserver.test", "eveningledger.test", "wireservice.test"]
WEEKDAYS_IT = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

CLAIMS_IT = [
    "{person} ha dichiarato {day} che circa {n} soldati {adj_a} sono stati schierati nella regione di {region}, "
    "dove i combattimenti proseguono da settimane.",
    "Secondo fonti dell'intelligence {adj_b_sing}, {country_a} avrebbe inviato in {country_b} almeno {n} militari "
    "nelle ultime settimane, con equipaggiamento pesante e artiglieria.",
    "Le autorità locali hanno riferito che almeno {small} civili sono stati uccisi e {small2} feriti in un "
    "attacco con droni contro {region} nella notte tra {day} e il giorno successivo.",
    "{role} {person} ha incontrato {day} a {capital_b} il suo omologo per discutere del cessate il fuoco e dello "
    "scambio di prigionieri, ha riferito una nota ufficiale.",
    "Stando al ministero della Difesa, le forze {adj_a} hanno lanciato nella notte {small} missili e {n_drones} "
    "droni contro infrastrutture energetiche nella regione di {region}.",
    "{country_b} ha annunciato un nuovo pacchetto di aiuti da {money} milioni di euro, che comprende munizioni di "
    "artiglieria e sistemi di difesa aerea, ha detto {person}.",
    "Il Consiglio dell'Unione europea ha approvato nuove sanzioni contro {small} banche e aziende {adj_a} accusate "
    "di aggirare l'embargo, secondo quanto riferito da {person}.",
    "{role} {person} ha smentito le notizie secondo cui {country_a} avrebbe fornito armi a {country_b}, "
    "definendole \"propaganda senza alcun fondamento\".",
    "Pare che {country_a} e {country_b} abbiano firmato un accordo di cooperazione militare della durata di "
    "{years} anni, ma i dettagli non sono stati resi noti.",
    "{role} {person} si è recato in visita a {capital_b} {day}, il primo viaggio ufficiale dall'inizio "
    "dell'anno, accolto dalle massime autorità.",
    "Secondo il ministero della Difesa di {capital_b}, {n} soldati {adj_a} sarebbero stati uccisi o feriti "
    "negli scontri delle ultime due settimane.",
    "{person} ha affermato che {country_a} ha consegnato a {country_b} oltre {n_drones} droni d'attacco dall'estate "
    "scorsa, citando rapporti dei servizi segreti.",
]
BACKGROUND_IT = [
    "Il conflitto nella regione di {region} è entrato nella sua fase più intensa dall'autunno, con linee del "
    "fronte che si spostano di pochi chilometri ogni settimana e villaggi ormai disabitati lungo il fiume.",
    "Gli analisti ricordano che i rapporti tra {country_a} e {country_b} si erano già deteriorati nel {year}, "
    "quando i colloqui di {capital_b} si erano chiusi senza un comunicato congiunto.",
    "A {capital_b} la notizia è stata accolta con prudenza: i giornali locali hanno dedicato ampio spazio alle "
    "reazioni dei partiti di opposizione, che chiedono un dibattito in Parlamento entro {day}.",
    "La popolazione della zona di {region} vive da mesi con interruzioni di corrente programmate, scuole chiuse "
    "e collegamenti ferroviari ridotti, mentre le organizzazioni umanitarie segnalano carenze di medicinali.",
    "Sul piano economico, le esportazioni di {country_a} verso l'Europa sono calate sensibilmente negli ultimi "
    "{years} anni, mentre crescono gli scambi con l'Asia centrale e con i paesi del Golfo.",
    "Il tema sarà al centro del vertice dei ministri degli Esteri in programma {day} a {capital_b}, dove è "
    "atteso anche un confronto sull'utilizzo dei beni congelati di {country_a} e sulla ricostruzione di {region}.",
    "Nelle ultime settimane diversi osservatori indipendenti hanno segnalato movimenti di mezzi militari vicino "
    "al confine, senza tuttavia poter verificare le immagini diffuse sui canali social da {region}.",
    "La diplomazia di {capital_b} lavora da tempo a una mediazione, finora senza risultati concreti: le "
    "posizioni restano distanti sia sul ritiro delle truppe sia sulle garanzie di sicurezza chieste da "
    "entrambe le parti.",
    "Secondo molti osservatori a {capital_b}, la stagione invernale renderà più difficili le operazioni intorno "
    "a {region} e aumenterà la pressione sulle reti elettriche di almeno {small} città vicine al fronte.",
    "Il governo di {capital_b} ha convocato per {day} una riunione straordinaria del consiglio di sicurezza "
    "nazionale, alla quale parteciperanno anche i vertici delle forze armate e dei servizi.",
    "Negli ospedali della zona di {region} il personale lavora su turni di dodici ore, mentre i volontari "
    "organizzano la distribuzione di acqua, coperte e generatori nei quartieri rimasti senza elettricità.",
    "Le organizzazioni per i diritti umani chiedono da {small} mesi un accesso indipendente ai centri di "
    "detenzione di {region}, denunciando condizioni difficili e la mancanza di notizie per le famiglie.",
    "Sui mercati, la tensione ha fatto salire del {small} per cento il prezzo del gas ad Amsterdam, mentre la "
    "valuta di {country_a} ha perso terreno nei confronti del dollaro fino a {day}.",
]
CLAIMS_EN = [
    "{role} {person} said on {day} that about {n} {adj_a} troops had been deployed to the {region} region, "
    "where fighting has continued for weeks.",
    "According to {adj_b} intelligence sources, {country_a} has reportedly sent at least {n} soldiers to "
    "{country_b} in recent weeks, along with heavy equipment and artillery.",
    "Local authorities said at least {small} civilians were killed and {small2} injured in a drone attack on "
    "{region} overnight into {day}.",
    "{role} {person} met his counterpart in {capital_b_en} on {day} to discuss a ceasefire and a prisoner "
    "exchange, an official statement said.",
    "{adj_a} forces launched {small} missiles and {n_drones} drones overnight at energy infrastructure in the "
    "{region} region, the defence ministry said.",
    "{country_b} announced a new aid package worth {money} million euros, including artillery ammunition and "
    "air defence systems, {person} said.",
    "The Council of the European Union approved new sanctions on {small} {adj_a} banks and companies accused of "
    "circumventing the embargo, according to {person}.",
    "{role} {person} denied reports that {country_a} had supplied weapons to {country_b}, calling them "
    "\"propaganda without any basis\".",
    "{country_a} and {country_b} apparently signed a military cooperation agreement lasting {years} years, "
    "although the details were not made public.",
    "{role} {person} visited {capital_b_en} on {day}, the first official trip since the start of the year, "
    "and was received by senior officials.",
    "According to the defence ministry in {capital_b_en}, {n} {adj_a} soldiers were probably killed or wounded "
    "in the fighting of the past two weeks.",
    "{person} said {country_a} had delivered more than {n_drones} attack drones to {country_b} since last "
    "summer, citing intelligence reports.",
]
BACKGROUND_EN = [
    "The conflict in the {region} region has entered its most intense phase since the autumn, with front lines "
    "moving a few kilometres each week and villages along the river now largely empty.",
    "Analysts recall that relations between {country_a} and {country_b} had already soured in {year}, when talks "
    "in {capital_b_en} ended without a joint communique.",
    "In {capital_b_en} the news was received cautiously: local papers gave wide coverage to opposition parties, "
    "which want a parliamentary debate before {day}.",
    "People in the {region} area have lived for months with scheduled power cuts, closed schools and reduced "
    "rail services, while humanitarian groups report shortages of medicine.",
    "On the economic side, exports from {country_a} to Europe have fallen sharply over the past {years} years, "
    "while trade with Central Asia and the Gulf states has grown.",
    "The issue will be at the centre of a meeting of foreign ministers in {capital_b_en} on {day}, where a debate "
    "on the frozen assets of {country_a} and on rebuilding {region} is also expected.",
    "In recent weeks several independent observers have reported military vehicles moving near the border, "
    "though they could not verify footage shared on social media from {region}.",
    "Diplomats in {capital_b_en} have been working on a mediation for some time, so far without concrete "
    "results: the two sides remain far apart on troop withdrawals and on the security guarantees each demands.",
    "Many observers in {capital_b_en} expect the winter to make operations around {region} harder and to put "
    "more pressure on the power grids of at least {small} towns close to the front.",
    "The government in {capital_b_en} has called an extraordinary meeting of the national security council for "
    "{day}, to be attended by the heads of the armed forces and the intelligence services.",
    "In hospitals around {region} staff work twelve-hour shifts, while volunteers hand out water, blankets and "
    "generators in neighbourhoods left without electricity.",
    "Human rights groups have for {small} months demanded independent access to detention centres in {region}, "
    "describing harsh conditions and a lack of news for the families of prisoners.",
    "On the markets, the tension pushed gas prices up {small} per cent on the Amsterdam hub, while the currency "
    "of {country_a} lost ground against the dollar until {day}.",
]
FURNITURE_IT = {"top": ["Condividi su Facebook", "Condividi su X", "Ascolta l'articolo", "- Pubblicità -"],
                "inline": ["Leggi anche: {teaser}", "- Pubblicità -", "Iscriviti alla newsletter"],
                "bottom": ["Ultime notizie", "{teaser}", "{teaser}", "Riproduzione riservata © {outlet}"]}
FURNITURE_EN = {"top": ["Share on Facebook", "Share on X", "Listen to this article", "Advertisement"],
                "inline": ["Read more: {teaser}", "Advertisement", "Sign up for our newsletter"],
                "bottom": ["Most read", "{teaser}", "{teaser}", "© {outlet}. All rights reserved."]}
TEASERS_IT = ["Borse europee in calo dopo i dati sull'inflazione", "Maltempo al Nord, allerta arancione",
              "Calcio, il derby finisce in parità", "Elezioni regionali, affluenza in calo",
              "Treni, sciopero nazionale di otto ore venerdì"]
TEASERS_EN = ["European stocks fall after inflation data", "Storm warning issued for the north coast",
              "Election turnout lowest in decades", "Rail strike set for Friday", "Central bank holds rates"]


def _number(value: int, lang: str) -> str:
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "it" else grouped


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    a, b = rng.sample(COUNTRIES, 2)
    name, role_it, role_en = rng.choice(PEOPLE)
    return {
        "person": name, "role": role_it[0].upper() + role_it[1:] if lang == "it" else role_en,
        "country_a": a.it if lang == "it" else a.en, "country_b": b.it if lang == "it" else b.en,
        "adj_a": a.it_adj if lang == "it" else a.en_adj, "adj_b": b.en_adj,
        "adj_b_sing": b.it_adj[:-1] + "a" if b.it_adj.endswith("i") else b.it_adj,
        "capital_b": b.capital, "capital_b_en": EN_CAPITAL.get(b.capital, b.capital),
        "region": rng.choice(REGIONS), "day": rng.choice(WEEKDAYS_IT if lang == "it" else WEEKDAYS_EN),
        "n": _number(rng.choice(range(1000, 15001, 500)), lang), "small": str(rng.randint(3, 60)),
        "small2": str(rng.randint(2, 90)), "n_drones": str(rng.randint(20, 400)),
        "money": str(rng.choice(range(50, 2001, 50))), "years": str(rng.randint(2, 20)),
        "year": str(rng.randint(2008, 2023)),
    }


def _paragraph(template: str, rng: random.Random, lang: str) -> str:
    text = template.format(**_slots(rng, lang))
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class Story:
    """One generated article as produced onto articles.raw, and how many words its story has."""

    article: dict[str, Any]
    words: int


def story(n: int, rng: random.Random, now: datetime, id_prefix: str = "bench") -> Story:
    lang = "it" if n % 2 else "en"
    claims, background = (CLAIMS_IT, BACKGROUND_IT) if lang == "it" else (CLAIMS_EN, BACKGROUND_EN)
    furniture = FURNITURE_IT if lang == "it" else FURNITURE_EN
    teasers = TEASERS_IT if lang == "it" else TEASERS_EN
    outlet = rng.choice(OUTLETS_IT if lang == "it" else OUTLETS_EN)
    body = [_paragraph(t, rng, lang) for t in rng.sample(claims, rng.randint(3, 7))]
    title = body[0][:80].rsplit(" ", 1)[0]
    for t in rng.sample(background, rng.randint(8, 13)):
        body.insert(rng.randint(1, len(body)), _paragraph(t, rng, lang))
    dateline = rng.choice(COUNTRIES).capital.upper() if lang == "it" else rng.choice(REGIONS).upper()
    body[0] = f"{dateline} – {body[0]}"
    words = sum(len(p.split()) for p in body)

    def fill(line: str) -> str:
        return line.format(teaser=rng.choice(teasers), outlet=outlet)

    top = [fill(x) for x in furniture["top"][: rng.randint(1, 4)]]
    bottom = [fill(x) for x in furniture["bottom"]]
    for _ in range(rng.randint(1, 2)):
        body.insert(rng.randint(2, len(body) - 1), fill(rng.choice(furniture["inline"])))
    published = now - timedelta(minutes=rng.randint(1, 48 * 60))
    article: dict[str, Any] = {"id": f"{id_prefix}-{n}", "url": f"https://www.{outlet}/esteri/{n}",
                               "outlet": outlet, "published_at": published.isoformat(), "title": title}
    if rng.random() < 0.35:
        article["html"] = _page(title, top, body, bottom, outlet, lang)
    else:
        article["text"] = "\n\n".join([*top, *body, "\n".join(bottom)])
    return Story(article, words)


def _page(title: str, top: list[str], body: list[str], bottom: list[str], outlet: str, lang: str) -> str:
    """A news page as sites serve it: head, navigation, share bar, the story, related links, footer, scripts."""
    nav = "".join(f'<li><a href="/{s}">{s.capitalize()}</a></li>'
                  for s in (["esteri", "politica", "economia", "sport"] if lang == "it"
                            else ["world", "politics", "business", "sport"]))
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in body)
    related = "".join(f'<li><a href="/r/{i}">{escape(x)}</a></li>' for i, x in enumerate(bottom[1:-1]))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)} | {outlet}'
            f'</title><script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments)}}</script>'
            f'<style>body{{font-family:serif}}</style></head><body><header><nav><ul>{nav}</ul></nav></header>'
            f'<div class="share">{"".join(f"<a>{escape(x)}</a>" for x in top)}</div>'
            f'<main><article><h1>{escape(title)}</h1>{paragraphs}</article></main>'
            f'<aside><h3>{escape(bottom[0])}</h3><ul>{related}</ul></aside>'
            f'<footer><p>{escape(bottom[-1])}</p></footer><script src="/static/app.js"></script></body></html>')


def stories(count: int, seed: int = 1, id_prefix: str = "bench", now: datetime | None = None) -> list[Story]:
    """`count` stories, the same for the same seed and `now` (published within the 48 hours before it)."""
    rng = random.Random(seed)
    return [story(n, rng, now or datetime.now(UTC), id_prefix) for n in range(count)]
