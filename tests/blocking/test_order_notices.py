"""A block order cites the notices behind it: the case's notices, prefilled from the proposal, chosen on the
form, shown with links on the order page, in the API, and by reference in what the ISPs receive."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from blocking import demo, services, views
from blocking.models import BlockOrder, OrderRecipient
from notices import delivery, sending
from notices.delivery import deliveries_about
from tests.factories import PlatformFactory, api_token
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tests.factories_notices import case_with_items
from tracker.core import demo as demo_users
from tracker.core.actors import SWEEP
from tracker.core.errors import DomainError

pytestmark = pytest.mark.django_db

SENT = [datetime(2016, 3, 29, 3, tzinfo=UTC), datetime(2016, 9, 1, 3, tzinfo=UTC), datetime(2017, 6, 11, 3, tzinfo=UTC)]


def case_with_notices(officer, *, dates=SENT, platform=None):
    """A case whose notices were sent on `dates` (recorded afterwards), oldest first."""
    case, items = case_with_items(count=1, platform=platform)
    notices = [sending.record_past_notice(case=case, actor=officer, sent_at=sent_at, items=items) for sent_at in dates]
    return case, notices


def draft(actor, **kw):
    return services.create_block_order(
        actor=actor,
        names="t.me",
        justification="Six notices unanswered",
        legal_basis="Law 19/2016",
        effective_at=timezone.now() + timedelta(hours=1),
        **kw,
    )


def test_an_order_from_a_proposal_cites_the_cases_sent_notices_oldest_first(supervisor, liaison_officer):
    case, notices = case_with_notices(liaison_officer)
    sending.prepare_notice(case=case, actor=liaison_officer, items=[notices[0].notice_items.get().item])
    proposal = services.propose_block(case=case, reason="ladder ran out", actor=SWEEP)
    order = draft(supervisor, proposal=proposal)
    assert list(order.notices.order_by("sent_at")) == notices  # not the one prepared and never sent
    assert order.case == case


def test_notices_of_another_case_or_never_sent_are_refused_and_nothing_saved(supervisor, liaison_officer):
    case, notices = case_with_notices(liaison_officer, dates=SENT[:1])
    _other_case, others = case_with_notices(liaison_officer, dates=SENT[:1])
    with pytest.raises(DomainError) as error:
        draft(supervisor, case=case, notices=[notices[0], others[0]])
    assert error.value.fields["notices"] == [f"{others[0].reference} is a notice of another case."]
    prepared = sending.prepare_notice(case=case, actor=liaison_officer, items=[notices[0].notice_items.get().item])
    with pytest.raises(DomainError, match="was never sent"):
        draft(supervisor, case=case, notices=[prepared])
    assert not BlockOrder.objects.exists()


def test_notices_given_without_a_case_name_the_orders_case(supervisor, liaison_officer):
    case, notices = case_with_notices(liaison_officer, dates=SENT[:2])
    assert draft(supervisor, notices=notices).case == case
    _other, others = case_with_notices(liaison_officer, dates=SENT[:1])
    with pytest.raises(DomainError, match="different cases"):
        draft(supervisor, notices=[notices[0], others[0]])


def test_the_order_form_offers_only_the_cases_notices_prefilled(client, supervisor, liaison_officer):
    case, notices = case_with_notices(liaison_officer)
    _other, others = case_with_notices(liaison_officer, dates=SENT[:1])
    proposal = services.propose_block(case=case, reason="ladder ran out", actor=SWEEP)
    client.force_login(supervisor)
    form = client.get(f"/blocking/orders/new/?proposal={proposal.pk}").content.decode()
    for notice in notices:
        assert f'value="{notice.pk}"' in form and notice.reference in form
    assert form.count('name="notices"') == 3 and form.count("checked") >= 4  # and "bind every ISP"
    assert others[0].reference not in form
    data = {
        "proposal": proposal.pk,
        "names": "t.me",
        "justification": "x",
        "legal_basis": "y",
        "effective_at": (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "binds_all_isps": "on",
        "notice_references": "letter of 2 May 2016, by fax",
    }
    refused = client.post("/blocking/orders/new/", {**data, "notices": [notices[0].pk, others[0].pk]})
    assert "Select a valid choice" in refused.content.decode() and not BlockOrder.objects.exists()
    response = client.post("/blocking/orders/new/", {**data, "notices": [notices[0].pk, notices[2].pk]})
    order = BlockOrder.objects.get()
    assert response.url == f"/blocking/orders/{order.pk}/"
    assert set(order.notices.all()) == {notices[0], notices[2]}

    page = client.get(response.url).content.decode()
    assert notices[0].reference in page and notices[2].reference in page and notices[1].reference not in page
    assert "letter of 2 May 2016, by fax" in page
    url = views.notice_url(notices[0])
    if url:  # the notice pages may not be there yet
        assert f'<a href="{url}">{notices[0].reference}</a>' in page


def test_without_a_proposal_the_form_has_no_notices_to_choose(client, supervisor):
    client.force_login(supervisor)
    assert 'name="notices"' not in client.get("/blocking/orders/new/").content.decode()


def test_the_api_gives_references_and_takes_them(api_client, supervisor, make_user, liaison_officer):
    case, notices = case_with_notices(liaison_officer)
    isp = ISPFactory()
    order_in_force(proposer=supervisor, approver=make_user("supervisor"), case=case, notices=notices[:2])
    token = api_token(isp_user(isp))
    listed = api_client.get("/api/v1/block-orders/", HTTP_AUTHORIZATION=f"Token {token}").json()["results"]
    assert listed[0]["notices"] == [notices[0].reference, notices[1].reference]
    api_client.force_authenticate(supervisor)
    body = {
        "names": ["t.me"],
        "justification": "x",
        "legal_basis": "y",
        "effective_at": "2030-01-01T00:00:00Z",
        "notices": [notices[2].reference],
    }
    created = api_client.post("/api/v1/block-orders/", body, format="json")
    assert created.status_code == 201
    assert created.json()["notices"] == [notices[2].reference] and created.json()["case"] == case.pk
    unknown = api_client.post("/api/v1/block-orders/", {**body, "notices": ["TKD/1999/000001"]}, format="json")
    assert unknown.status_code == 400 and "notices" in unknown.json()["error"]["fields"]


def test_the_isp_mail_and_order_document_cite_the_notices_by_reference_only(supervisor, make_user, liaison_officer):
    case, notices = case_with_notices(liaison_officer)
    ISPFactory()
    order_in_force(proposer=supervisor, approver=make_user("supervisor"), case=case, notices=notices)
    (order_mail,) = deliveries_about(OrderRecipient, [OrderRecipient.objects.get().pk])
    delivery.send_delivery(delivery_id=order_mail.pk)
    message = mail.outbox[-1]
    references = ", ".join(notice.reference for notice in notices)
    assert f"It follows the notices {references}." in message.body
    document = dict((name, content) for name, content, _type in message.attachments)
    order = BlockOrder.objects.get()
    dated = ", ".join(f"{n.reference} ({timezone.localtime(n.sent_at):%Y-%m-%d})" for n in notices)
    assert f"Notices: {dated}\n" in document[f"{order.reference}.txt"]
    assert notices[0].subject not in message.body and notices[0].subject not in document[f"{order.reference}.txt"]


def test_the_demo_order_cites_the_notices_of_the_demo_case(liaison_officer):
    demo_users.load(io.StringIO())
    telegram = PlatformFactory(name="Telegram", slug="telegram")
    case, notices = case_with_notices(liaison_officer, platform=telegram)
    demo.load(io.StringIO())
    block = BlockOrder.objects.get(kind=BlockOrder.Kind.BLOCK)
    assert list(block.notices.order_by("sent_at")) == notices
    assert block.notice_references == "" and block.case == case


def test_a_demo_order_loaded_before_its_notices_gets_them_on_the_next_load(liaison_officer):
    demo_users.load(io.StringIO())
    telegram = PlatformFactory(name="Telegram", slug="telegram")
    case, items = case_with_items(count=1, platform=telegram)
    demo.load(io.StringIO())
    block = BlockOrder.objects.get(kind=BlockOrder.Kind.BLOCK)
    assert not block.notices.exists() and block.notice_references.startswith("six notices")
    notice = sending.record_past_notice(case=case, actor=liaison_officer, sent_at=SENT[0], items=items)
    demo.load(io.StringIO())
    block.refresh_from_db()
    assert list(block.notices.all()) == [notice] and block.notice_references == ""
