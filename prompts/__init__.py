"""Prompt and answer templates, kept as data files (prompts/<lang>/<name>.txt).

``render(name, lang, **values)`` is the one pure function that fills them:
``{name}`` placeholders only, and a missing value raises
``MissingTemplateVariable`` naming it instead of leaving a hole.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
LANGUAGES = ("da", "en")


class MissingTemplateVariable(KeyError):
    def __init__(self, template: str, variable: str):
        super().__init__(f"template {template!r} needs a value for {{{variable}}}")
        self.template = template
        self.variable = variable


@cache
def load(name: str, lang: str = "da") -> str:
    if lang not in LANGUAGES:
        lang = "da"
    path = TEMPLATE_DIR / lang / f"{name}.txt"
    return path.read_text(encoding="utf-8").rstrip("\n")


def fill(template_text: str, name: str = "<inline>", **values: object) -> str:
    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise MissingTemplateVariable(name, key)
        return str(values[key])

    return _PLACEHOLDER.sub(substitute, template_text)


def render(name: str, lang: str = "da", **values: object) -> str:
    return fill(load(name, lang), f"{lang}/{name}", **values)
