"""Issue 14: emails of the triage queue dismissed in one action, each by the per-message rules, refusals per id."""

import pytest

from notices import inbound
from notices.mail import bulk
from notices.models import InboundMail
from tests.factories_inbound import reply
from tracker.core.actors import COMMAND
from tracker.core.errors import NotPermitted

pytestmark = pytest.mark.django_db


def kept(n: int) -> InboundMail:
    raw = reply(body=f"Thank you, note {n}.")
    return inbound.ingest_message(raw, source=InboundMail.Source.COMMAND, actor=COMMAND)


def test_a_liaison_officer_dismisses_selected_emails_in_one_api_request(api_client, liaison_officer):
    mails = [kept(n) for n in range(3)]
    api_client.force_authenticate(liaison_officer)
    ids = [mail.pk for mail in mails]
    first = api_client.post(
        "/api/v1/inbound-mail/bulk/", {"action": "dismiss", "ids": ids, "note": "thank-you notes"}, format="json"
    )
    assert first.status_code == 200, first.content
    assert first.json() == {"done": ids, "refused": []}
    assert set(InboundMail.objects.filter(pk__in=ids).values_list("state", flat=True)) == {InboundMail.State.DISMISSED}
    again = api_client.post("/api/v1/inbound-mail/bulk/", {"action": "dismiss", "ids": ids, "note": "x"}, format="json")
    assert again.json()["done"] == [] and [row["id"] for row in again.json()["refused"]] == ids
    no_note = api_client.post("/api/v1/inbound-mail/bulk/", {"action": "dismiss", "ids": ids}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.content.decode()


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_other_roles_are_refused(make_user, role):
    mail = kept(99)
    with pytest.raises(NotPermitted):
        bulk.bulk_dismiss(actor=make_user(role), ids=[mail.pk], note="no")
