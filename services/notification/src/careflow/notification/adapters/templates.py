"""Notification texts rendered with Jinja2 from `templates/<language>/` (fi, sv, en)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from careflow.notification.domain.message import Rendered

LANGUAGES = ("fi", "sv", "en")
TEMPLATES = Path(__file__).resolve().parent / "templates"


class UnknownTemplate(ValueError):
    """No wording for this purpose or language."""


class JinjaRenderer:
    """Plain-text templates (no HTML, so no escaping); a missing value is an error."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            # Plain-text mail and SMS: nothing to escape (HTML templates would be).
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            keep_trailing_newline=False,
            # Templates ship with the code: no file check (a stat per render) on each use.
            auto_reload=False,
        )

    def render(
        self,
        purpose: str,
        language: str,
        channel: str,
        *,
        link: str,
        deadline: str | None = None,
    ) -> Rendered:
        if language not in LANGUAGES:
            language = "fi"
        values = {"purpose": purpose, "link": link, "deadline": deadline}
        texts = self._env.get_template(f"{language}/texts.j2").make_module(values)
        if not str(texts.headline(purpose, deadline)).strip():  # type: ignore[attr-defined]
            raise UnknownTemplate(f"no wording for {purpose} in {language}")
        body = self._env.get_template(f"{language}/{channel}.j2").render(values).strip()
        subject = None
        if channel == "email":
            subject = self._env.get_template(f"{language}/subject.j2").render(values).strip()
        return Rendered(subject, body)
