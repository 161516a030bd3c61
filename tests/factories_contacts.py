"""Test data for the contact log: an entry recorded through its service, as the pages and the API record one."""

from datetime import datetime

from notices import contacts
from tests.factories import CaseFactory

WHEN = datetime.fromisoformat("2017-07-16T09:00:00+07:00")


def contact_entry(*, actor, case=None, **fields):
    """A contact log entry recorded by `actor` (a phone call on 16 July 2017, unless `fields` say otherwise)."""
    values = {
        "kind": "phone_call",
        "occurred_at": WHEN,
        "summary": "The platform called about the notices.",
        "ministry_participants": ["Director of Content Control"],
        "platform_participants": ["Head of policy"],
        **fields,
    }
    return contacts.record_contact(case=case or CaseFactory(), actor=actor, **values)
