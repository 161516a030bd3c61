"""The placeholder syntax of notice templates: `{reference}`, `{items}`, ...; `{{` and `}}` are literal braces.

Deliberately tiny: no attribute access, no expressions, nothing a template author could use to read data
the notice should not show. A placeholder not in PLACEHOLDERS is refused both when a step is saved and
when a notice is rendered, with an error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from tracker.core.errors import DomainError

PLACEHOLDERS = {
    "reference": "the notice's reference number, e.g. TKD/2017/000123",
    "platform": "the platform's name",
    "operator": "the platform operator's legal name",
    "case": "the case title",
    "step": "the ladder step's name",
    "items": "the items covered, one a line with category and legal basis",
    "item_count": "how many items the notice covers",
    "legal_basis": "the legal bases of the items covered",
    "deadline": "the reply deadline, in the policy's time zone",
    "response_time": "the time allowed, e.g. 24 hours",
    "sent_date": "the date the notice is sent",
    "previous_references": "the references of the earlier notices of the case",
    "sanction_amount": "the administrative sanction of the step, if any",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class UnknownPlaceholder(DomainError):
    def __init__(self, name: str, field: str):
        if name in ("{", "}"):
            message = _("%(field)s has an unmatched brace: write {{ or }} for a literal one.") % {"field": field}
        else:
            message = _("Unknown placeholder {%(name)s} in %(field)s; known: %(known)s") % {
                "name": name,
                "field": field,
                "known": ", ".join(f"{{{known}}}" for known in PLACEHOLDERS),
            }
        super().__init__(message, fields={field: [message]})
        self.name = name


def placeholders_in(template: str, *, field: str = "template") -> list[str]:
    """The placeholders a template uses, in order; raises UnknownPlaceholder on the first unknown one."""
    found = []
    for match in _TOKEN.finditer(template or ""):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise UnknownPlaceholder(token, field)
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            raise UnknownPlaceholder(name, field)
        found.append(name)
    return found


def check_template(template: str, *, field: str) -> None:
    placeholders_in(template, field=field)


def check_step(step) -> None:
    check_template(step.subject_template, field="subject_template")
    check_template(step.body_template, field="body_template")


def render(template: str, values: Mapping[str, str], *, field: str = "template") -> str:
    placeholders_in(template, field=field)

    literal = {"{{": "{", "}}": "}"}

    def replace(match: re.Match) -> str:
        if match.group(0) in literal:
            return literal[match.group(0)]
        return str(values.get(match.group(1).strip(), ""))

    return _TOKEN.sub(replace, template or "")
