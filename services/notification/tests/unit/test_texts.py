"""The exact words that go out, per purpose and language; never more than a prompt and a link."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2.meta
import pytest

from careflow.notification.adapters.templates import LANGUAGES, TEMPLATES, UnknownTemplate
from careflow.notification.domain.notification import PROFESSIONAL_NEW_CHAT, RESIDENT_PURPOSES
from careflow.notification.domain.wording import deadline_text

LINK = "https://careflow.example/cases/1"
D = "<deadline>"

HEADLINES = {
    "fi": {
        "new_message": "Sinulle on uusi viesti.",
        "action_instruction": "Sinulle on uusi toimintaohje.",
        "task": "Sinulle on uusi tehtävä.",
        "coaching": "Sinulle on uusi valmennus.",
        "closing_proposed": "Ammattilainen ehdottaa asiointisi sulkemista. Jos et vastusta "
        f"ehdotusta viestillä 72 tunnin kuluessa, asiointi suljetaan {D}.",
        "closing_rejected": "Ammattilainen ei hyväksynyt ehdotustasi asioinnin sulkemisesta.",
        "case_closed_without_consent": "Ammattilainen sulki asiointisi ja kirjoitti sinulle syyn.",
        "new_goal": "Asioinnissasi on uusi tavoite.",
        "incomplete_submission": "Lähettämäsi tiedot tarvitsevat täydennystä.",
        "appointment_reminder": "Sinulla on tuleva ajanvaraus.",
        "patient_reminder": "Sinulle on uusi muistutus.",
        "new_content": "Sinulle on uutta tietoa.",
    },
    "sv": {
        "new_message": "Du har ett nytt meddelande.",
        "action_instruction": "Du har fått en ny handlingsinstruktion.",
        "task": "Du har fått en ny uppgift.",
        "coaching": "Du har fått en ny coachning.",
        "closing_proposed": "En yrkesperson föreslår att ditt ärende avslutas. Om du inte "
        f"invänder med ett meddelande inom 72 timmar avslutas ärendet {D}.",
        "closing_rejected": "En yrkesperson godkände inte ditt förslag att avsluta ärendet.",
        "case_closed_without_consent": "En yrkesperson har avslutat ditt ärende och skrivit "
        "orsaken till dig.",
        "new_goal": "Det finns ett nytt mål i ditt ärende.",
        "incomplete_submission": "Uppgifterna du skickade behöver kompletteras.",
        "appointment_reminder": "Du har en kommande bokad tid.",
        "patient_reminder": "Du har en ny påminnelse.",
        "new_content": "Det finns något nytt för dig.",
    },
    "en": {
        "new_message": "You have a new message.",
        "action_instruction": "You have a new action instruction.",
        "task": "You have a new task.",
        "coaching": "You have a new coaching.",
        "closing_proposed": "A professional proposes closing your case. Unless you object by "
        f"a message within 72 hours, the case closes on {D}.",
        "closing_rejected": "A professional did not accept your proposal to close the case.",
        "case_closed_without_consent": "A professional closed your case and wrote you the reason.",
        "new_goal": "There is a new goal in your case.",
        "incomplete_submission": "The information you sent needs to be completed.",
        "appointment_reminder": "You have an upcoming appointment.",
        "patient_reminder": "You have a new reminder.",
        "new_content": "There is something new for you.",
    },
}
EMAIL = {
    "fi": (
        "Uutta CareFlow-asioinnissasi",
        "Hei,\n\n{h}\n\nKirjaudu sisään lukeaksesi: {link}\n\n"
        "Tämä on automaattinen viesti, eikä siihen voi vastata.",
    ),
    "sv": (
        "Nytt i dina CareFlow-ärenden",
        "Hej,\n\n{h}\n\nLogga in för att läsa: {link}\n\n"
        "Detta är ett automatiskt meddelande som inte kan besvaras.",
    ),
    "en": (
        "Something new in CareFlow",
        "Hello,\n\n{h}\n\nLog in to read it: {link}\n\n"
        "This is an automatic message; please do not reply.",
    ),
}
SMS = {
    "fi": "CareFlow: {h} Kirjaudu: {link}",
    "sv": "CareFlow: {h} Logga in: {link}",
    "en": "CareFlow: {h} Log in: {link}",
}


def expected_email(language: str, purpose: str, link: str = LINK) -> tuple[str, str]:
    subject, body = EMAIL[language]
    return subject, body.format(h=HEADLINES[language][purpose], link=link)


def expected_sms(language: str, purpose: str, link: str = LINK) -> str:
    return SMS[language].format(h=HEADLINES[language][purpose], link=link)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("purpose", RESIDENT_PURPOSES)
def test_each_purpose_renders_its_exact_email_and_sms(renderer, purpose, language):
    email = renderer.render(purpose, language, "email", link=LINK, deadline=D)
    sms = renderer.render(purpose, language, "sms", link=LINK, deadline=D)
    assert (email.subject, email.body) == expected_email(language, purpose)
    assert (sms.subject, sms.body) == (None, expected_sms(language, purpose))


def test_the_professionals_new_chat_email_is_worded_in_their_language(renderer):
    rendered = renderer.render(PROFESSIONAL_NEW_CHAT, "sv", "email", link=LINK)
    assert rendered.subject == "En ny chatt väntar"
    assert "En ny chatt väntar på en kanal där du är aktiv." in rendered.body


def test_an_unknown_purpose_is_refused_rather_than_sent_empty(renderer):
    with pytest.raises(UnknownTemplate):
        renderer.render("lab_results", "fi", "email", link=LINK)


def test_templates_can_only_use_the_purpose_a_link_and_a_deadline():
    # Structural guarantee that no health detail can reach a text: nothing else is in scope.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    for name in env.list_templates():
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        used = jinja2.meta.find_undeclared_variables(env.parse(source))
        assert used <= {"purpose", "link", "deadline"}, name


DEADLINE_WINTER = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
DEADLINE_SUMMER = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "language", "text"),
    [
        (DEADLINE_WINTER, "Europe/Helsinki", "fi", "25.11.2026 klo 14.30 (EET)"),
        (DEADLINE_WINTER, "Europe/Stockholm", "fi", "25.11.2026 klo 13.30 (CET)"),
        (DEADLINE_WINTER, "Europe/Stockholm", "sv", "25.11.2026 kl. 13.30 (CET)"),
        (DEADLINE_WINTER, "Europe/Helsinki", "sv", "25.11.2026 kl. 14.30 (EET)"),
        (DEADLINE_WINTER, "Europe/Helsinki", "en", "25 November 2026 at 14:30 (EET)"),
        (DEADLINE_SUMMER, "Europe/Helsinki", "en", "1 July 2026 at 12:00 (EEST)"),
        (DEADLINE_SUMMER, "Europe/Stockholm", "sv", "1.7.2026 kl. 11.00 (CEST)"),
        (DEADLINE_WINTER, "Not/AZone", "en", "25 November 2026 at 12:30 (UTC)"),
    ],
)
def test_the_deadline_is_stated_on_the_residents_wall_clock(moment, zone, language, text):
    assert deadline_text(moment, zone, language) == text
