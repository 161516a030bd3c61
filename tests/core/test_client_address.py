"""The audit trail records the client's address: behind the ministry's reverse proxy (BEHIND_TLS_PROXY) the
one the proxy saw, from the header it appends; otherwise the connection's own, whatever a client claims."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.factories import CategoryFactory
from tracker.core import audit
from tracker.core.middleware import AuditContextMiddleware
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PROXY, CLIENT, FORGED = "127.0.0.9", "203.0.113.7", "198.51.100.66"


def address_audited(analyst, **meta) -> str:
    """Serve one request through the middleware whose view writes an audit entry; the address it records."""
    category = CategoryFactory()

    def view(request):
        audit.record(obj=category, action=AuditEntry.Action.EVENT, actor=analyst)
        return HttpResponse()

    AuditContextMiddleware(view)(RequestFactory().post("/items/", **meta))
    return AuditEntry.objects.filter(object_id=str(category.pk)).latest("id").remote_addr


def test_behind_the_proxy_the_client_address_comes_from_the_header_it_appends(analyst, settings):
    settings.BEHIND_TLS_PROXY = True
    # A client may send its own X-Forwarded-For; the proxy appends the address it really saw, last.
    assert address_audited(analyst, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}") == CLIENT


def test_without_a_proxy_the_header_is_not_believed(analyst, settings):
    settings.BEHIND_TLS_PROXY = False
    assert address_audited(analyst, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=FORGED) == CLIENT


def test_a_malformed_header_falls_back_to_the_connection(analyst, settings):
    settings.BEHIND_TLS_PROXY = True
    assert address_audited(analyst, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address") == PROXY


def test_a_signed_in_page_is_never_stored_by_a_browser_or_proxy(client, analyst):
    client.force_login(analyst)
    cache_control = client.get("/").headers["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
