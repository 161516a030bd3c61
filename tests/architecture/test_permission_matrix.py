"""Who may call each API route: every route and method under /api/v1/, found by walking the URL resolver, is
called as each role and as no one, and checked against one table drawn from the README's role table
("Who uses it, and what each role may do") and the apps' `roles.py`.

REFUSED is 401 for no one and 403 for a signed-in person; ALLOWED is any other answer (a 400 for the empty
body, a 404 for a missing record, a 409 for a record in the wrong state): this suite pins the permission
check, not the business outcome. A route missing from the table fails the suite, and so does a rule for a
route that is gone. Where the server today disagrees with the README, the table keeps the README and the
case is a strict xfail naming the disagreement (KNOWN_DISAGREEMENTS), so fixing either side shows up.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from notices import rebuttals, sending
from notices.models import Sanction
from tests.factories import PASSWORD, PlatformFactory, make_user, second_factor_code
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tests.factories_notices import case_with_items
from tests.factories_platforms import AdvisoryFactory
from tracker.core.models import Role

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
ANONYMOUS = "anonymous"
ANALYST, LIAISON, SUPERVISOR = Role.ANALYST.value, Role.LIAISON_OFFICER.value, Role.SUPERVISOR.value
AUDITOR, ADMINISTRATOR, ISP = Role.AUDITOR.value, Role.ADMINISTRATOR.value, Role.ISP.value
CALLERS = (ANONYMOUS, *Role.values)

# --- who may: the README's role table ---------------------------------------------------------------------

SIGNED_IN = frozenset(Role.values)
# Auditors and administrators read everything; analysts, liaison officers and supervisors read the content
# they work on. ISP accounts read only their orders and the blocklist.
STAFF = frozenset({ANALYST, LIAISON, SUPERVISOR, AUDITOR, ADMINISTRATOR})
# What analysts do (log, verify and attach to items, open and edit cases, bulk imports), supervisors may too.
ANALYST_WORK = frozenset({ANALYST, SUPERVISOR})
# What liaison officers do (advisories, notices, replies, rebuttals, inbound mail), supervisors may too.
LIAISON_WORK = frozenset({LIAISON, SUPERVISOR})
# Notice work is read by those who do it and by those who read everything.
NOTICE_DESK = frozenset({LIAISON, SUPERVISOR, AUDITOR, ADMINISTRATOR})
READ_EVERYTHING = frozenset({AUDITOR, ADMINISTRATOR})

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # Every account: who am I, my language and time zone, my notifications.
    ("me/", "GET"): SIGNED_IN,
    ("saved-filters/", "GET"): SIGNED_IN,
    ("saved-filters/", "POST"): SIGNED_IN,
    ("saved-filters/{id}/", "DELETE"): SIGNED_IN,
    ("search/", "GET"): STAFF,
    # Figures are sums over notices and orders: read by whoever reads notices (every role but ISPs).
    ("figures/", "GET"): STAFF,
    # Transparency reports: read by the staff; drafted by a supervisor and approved by another.
    ("transparency-reports/", "GET"): STAFF,
    ("transparency-reports/{id}/", "GET"): STAFF,
    ("transparency-reports/", "POST"): frozenset({SUPERVISOR}),
    ("transparency-reports/{id}/approve/", "POST"): frozenset({SUPERVISOR}),
    ("calendar-feed/", "POST"): SIGNED_IN,
    ("calendar-feed/", "DELETE"): SIGNED_IN,
    ("me/", "PATCH"): SIGNED_IN,
    ("notifications/", "GET"): SIGNED_IN,
    # Re-checks of content: read by staff; asked for by those who work on items (not auditors, administrators
    # or ISPs).
    ("content-checks/", "GET"): STAFF,
    ("content-checks/{id}/", "GET"): STAFF,
    ("content-checks/", "POST"): frozenset({ANALYST, LIAISON, SUPERVISOR}),
    ("notifications/{id}/", "GET"): SIGNED_IN,
    ("notifications/{id}/read/", "POST"): SIGNED_IN,
    ("notifications/read-all/", "POST"): SIGNED_IN,
    # API tokens: each account lists, issues and revokes its own (administrators anyone's, in the service).
    ("api-tokens/", "GET"): SIGNED_IN,
    ("api-tokens/", "POST"): SIGNED_IN,
    ("api-tokens/{id}/", "GET"): SIGNED_IN,
    ("api-tokens/{id}/revoke/", "POST"): SIGNED_IN,
    # The audit trail: auditors (and administrators, who read everything); no route writes it.
    # Supervisors oversee the others' work and read the trail too (README).
    ("audit-entries/", "GET"): READ_EVERYTHING | {SUPERVISOR},
    ("audit-entries/{id}/", "GET"): READ_EVERYTHING | {SUPERVISOR},
    # People and their roles: administrators act (the services refuse their own account and want a second
    # administrator for the powerful roles); auditors read.
    ("users/", "GET"): READ_EVERYTHING,
    ("users/{id}/", "GET"): READ_EVERYTHING,
    ("users/invite/", "POST"): frozenset({ADMINISTRATOR}),
    ("users/{id}/grant-role/", "POST"): frozenset({ADMINISTRATOR}),
    ("users/{id}/remove-role/", "POST"): frozenset({ADMINISTRATOR}),
    ("users/{id}/deactivate/", "POST"): frozenset({ADMINISTRATOR}),
    ("users/{id}/reactivate/", "POST"): frozenset({ADMINISTRATOR}),
    ("users/{id}/reset-second-factor/", "POST"): frozenset({ADMINISTRATOR}),
    ("role-grants/", "GET"): READ_EVERYTHING,
    ("role-grants/{id}/", "GET"): READ_EVERYTHING,
    ("role-grants/{id}/confirm/", "POST"): frozenset({ADMINISTRATOR}),
    ("role-grants/{id}/refuse/", "POST"): frozenset({ADMINISTRATOR}),
    # The platform registry is administrators' reference data; liaison officers keep contacts and
    # record and lift advisories.
    ("platforms/", "GET"): STAFF,
    ("platforms/", "POST"): frozenset({ADMINISTRATOR}),
    ("platforms/{id}/", "GET"): STAFF,
    ("platforms/{id}/", "PATCH"): frozenset({ADMINISTRATOR}),
    ("platforms/{id}/trusted-flagger/", "POST"): frozenset({ADMINISTRATOR}),
    ("platform-contacts/", "GET"): STAFF,
    ("platform-contacts/", "POST"): LIAISON_WORK | {ADMINISTRATOR},
    ("platform-contacts/{id}/", "GET"): STAFF,
    ("platform-contacts/{id}/", "PATCH"): LIAISON_WORK | {ADMINISTRATOR},
    ("advisories/", "GET"): STAFF,
    ("advisories/", "POST"): LIAISON_WORK,
    ("advisories/{id}/", "GET"): STAFF,
    ("advisories/{id}/", "PATCH"): LIAISON_WORK,
    ("advisories/{id}/lift/", "POST"): LIAISON_WORK,
    ("advisory-reasons/", "GET"): STAFF,
    ("advisory-reasons/{id}/", "GET"): STAFF,
    # Items, evidence, cases and imports: analysts' work, read by all staff.
    ("categories/", "GET"): STAFF,
    ("categories/", "POST"): frozenset({ADMINISTRATOR}),  # categories are administrators' reference data
    ("categories/{slug}/", "GET"): STAFF,
    ("categories/{slug}/", "PATCH"): frozenset({ADMINISTRATOR}),
    ("items/", "GET"): STAFF,
    ("items/", "POST"): ANALYST_WORK,
    ("items/bulk/", "POST"): ANALYST_WORK,
    ("items/{id}/", "GET"): STAFF,
    ("items/{id}/", "PATCH"): ANALYST_WORK,
    ("items/{id}/evidence/", "GET"): STAFF,
    ("items/{id}/evidence/", "POST"): ANALYST_WORK,
    ("items/{id}/sightings/", "GET"): STAFF,
    ("items/{id}/transition/", "POST"): ANALYST_WORK,
    ("items/{id}/verify/", "POST"): ANALYST_WORK,
    ("evidence/", "GET"): STAFF,
    ("evidence/{id}/", "GET"): STAFF,
    ("evidence/{id}/download/", "GET"): STAFF,
    ("cases/", "GET"): STAFF,
    ("cases/", "POST"): ANALYST_WORK,
    ("cases/bulk/", "POST"): ANALYST_WORK,
    ("cases/{id}/", "GET"): STAFF,
    ("cases/{id}/", "PATCH"): ANALYST_WORK,
    ("cases/{id}/items/", "GET"): STAFF,
    ("cases/{id}/items/", "POST"): ANALYST_WORK,
    ("cases/{id}/remove-item/", "POST"): ANALYST_WORK,
    ("cases/{id}/timeline/", "GET"): STAFF,
    ("cases/{id}/transition/", "POST"): ANALYST_WORK,
    ("item-imports/", "GET"): STAFF,
    ("item-imports/", "POST"): ANALYST_WORK,
    ("item-imports/{id}/", "GET"): STAFF,
    ("item-imports/{id}/rejections/", "GET"): STAFF,
    # Notices: liaison officers send and record; analysts read notices and replies, not the delivery proof.
    ("notices/", "GET"): STAFF,
    ("notices/", "POST"): LIAISON_WORK,
    ("notices/record-past/", "POST"): LIAISON_WORK,
    ("notices/{id}/", "GET"): STAFF,
    ("notices/{id}/letter/", "GET"): STAFF,  # the notice as a PDF letter: whoever reads the notice
    ("notices/{id}/confirm/", "POST"): LIAISON_WORK,
    ("notices/bulk/", "POST"): LIAISON_WORK,
    ("notices/preview/", "POST"): LIAISON_WORK,
    ("notices/{id}/deliveries/{delivery_id}/message/", "GET"): NOTICE_DESK,
    ("notices/{id}/replies/", "GET"): STAFF,
    ("notices/{id}/replies/", "POST"): LIAISON_WORK,
    ("notices/{id}/rebuttals/", "POST"): LIAISON_WORK,
    # The contact log of a case: liaison officers and supervisors log; whoever reads cases reads it.
    ("contact-log/", "GET"): STAFF,
    ("contact-log/", "POST"): LIAISON_WORK,
    ("contact-log/{id}/", "GET"): STAFF,
    ("contact-log/attachments/{id}/download/", "GET"): STAFF,
    # Escalation ladders: the notice desk reads; administrators keep them (as in the admin); supervisors and
    # administrators choose a platform's ladder (as on the platform page).
    ("escalation-policies/", "GET"): NOTICE_DESK,
    ("escalation-policies/", "POST"): frozenset({ADMINISTRATOR}),
    ("escalation-policies/{id}/", "GET"): NOTICE_DESK,
    ("escalation-policies/{id}/", "PATCH"): frozenset({ADMINISTRATOR}),
    ("escalation-policies/{id}/assign/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("escalation-steps/", "GET"): NOTICE_DESK,
    ("escalation-steps/", "POST"): frozenset({ADMINISTRATOR}),
    ("escalation-steps/{id}/", "GET"): NOTICE_DESK,
    ("escalation-steps/{id}/", "PATCH"): frozenset({ADMINISTRATOR}),
    # Rebuttals: recorded by liaison officers, decided by supervisors.
    ("rebuttals/", "GET"): NOTICE_DESK,
    ("rebuttals/", "POST"): LIAISON_WORK,
    ("rebuttals/{id}/", "GET"): NOTICE_DESK,
    ("rebuttals/{id}/decide/", "POST"): frozenset({SUPERVISOR}),
    # The sanctions register: supervisors keep it.
    ("sanctions/", "GET"): NOTICE_DESK,
    ("sanctions/{id}/", "GET"): NOTICE_DESK,
    ("sanctions/{id}/transition/", "POST"): frozenset({SUPERVISOR}),
    # Inbound email: liaison officers upload, attach and dismiss it.
    ("inbound-mail/", "GET"): NOTICE_DESK,
    ("inbound-mail/{id}/", "GET"): NOTICE_DESK,
    ("inbound-mail/{id}/raw/", "GET"): NOTICE_DESK,
    ("inbound-mail/upload/", "POST"): LIAISON_WORK,
    ("inbound-mail/bulk/", "POST"): LIAISON_WORK,
    ("inbound-mail/{id}/match/", "POST"): LIAISON_WORK,
    ("inbound-mail/{id}/dismiss/", "POST"): LIAISON_WORK,
    # Block orders: supervisors propose and approve; an ISP reads its own and reports on them.
    ("block-orders/", "GET"): STAFF | {ISP},
    ("block-orders/", "POST"): frozenset({SUPERVISOR}),
    ("block-orders/{id}/", "GET"): STAFF | {ISP},
    ("block-orders/{id}/letter/", "GET"): STAFF | {ISP},  # an ISP gets its own copy of an order addressed to it
    ("block-orders/{id}/submit/", "POST"): frozenset({SUPERVISOR}),
    ("block-orders/{id}/approve/", "POST"): frozenset({SUPERVISOR}),
    ("block-orders/{id}/acknowledge/", "POST"): frozenset({ISP}),
    ("block-orders/{id}/implemented/", "POST"): frozenset({ISP}),
    # Lifts and orders of the past are drafted by supervisors, as block orders are, and approved by a second.
    ("block-orders/{id}/lift/", "POST"): frozenset({SUPERVISOR}),
    ("block-orders/record-past/", "POST"): frozenset({SUPERVISOR}),
    # The blocklist: everyone who reads block orders, ISPs included.
    ("blocklist/", "GET"): STAFF | {ISP},
    ("blocklist/public-key/", "GET"): STAFF | {ISP},
    ("blocklist/diff/", "GET"): STAFF | {ISP},
    ("blocklist/diff/signature/", "GET"): STAFF | {ISP},
    ("blocklist/export/{kind}/", "GET"): STAFF | {ISP},
    ("blocklist/export/{kind}/signature/", "GET"): STAFF | {ISP},
    # Block proposals: staff read them; supervisors decide them (dismiss, or draft the order they suggest, which
    # closes them), as on the order form. Administrators never decide.
    ("block-proposals/", "GET"): STAFF,
    ("block-proposals/{id}/", "GET"): STAFF,
    ("block-proposals/{id}/dismiss/", "POST"): frozenset({SUPERVISOR}),
    ("block-proposals/{id}/order/", "POST"): frozenset({SUPERVISOR}),
    # Compliance checks: read by those who read the order page (view_isp); "check now" by those who keep the
    # ISP registry (change_isp, the ISP list's button).
    ("block-orders/{id}/compliance/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("block-orders/{id}/compliance/check/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("block-orders/{id}/zone-transfers/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("compliance-alerts/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("compliance-alerts/{id}/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    # The ISP registry: reference data that administrators keep (supervisors may, as on the ISP pages); read
    # by those who read the ISP pages. ISP accounts use the API for their orders only.
    ("isps/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("isps/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("isps/{id}/", "PATCH"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/link-account/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/unlink-account/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/resolvers/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    ("isps/{id}/resolvers/", "PUT"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/check/", "POST"): frozenset({SUPERVISOR, ADMINISTRATOR}),
    ("isps/{id}/zone/", "GET"): LIAISON_WORK | READ_EVERYTHING,
    # A TSIG key's secret is shown once to whoever makes it: administrators only, not supervisors.
    ("isps/{id}/zone-key/", "POST"): frozenset({ADMINISTRATOR}),
}

# Cases where the server today answers otherwise than the table: (route, method, role) -> why.
KNOWN_DISAGREEMENTS: dict[tuple[str, str, str], str] = {}

# --- the routes, as the URL resolver has them -------------------------------------------------------------

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# A named group of a regex route, or a converter of a path route: shown as {name}, a record's pk as {id}.
PARAMETER = re.compile(r"\(\?P<(?P<group>\w+)>[^)]*\)|<(?:\w+:)?(?P<converter>\w+)>")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def _readable(route: str) -> str:
    def name(match):
        found = match["group"] or match["converter"]
        return "{id}" if found == "pk" else "{" + found + "}"

    return PARAMETER.sub(name, route.removeprefix(API_PREFIX)).replace("^", "").replace("$", "")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)  # a router's route: {"get": "list", "post": "create"}
    if actions:
        return [method.upper() for method in HTTP_METHODS if method in actions]
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return [method.upper() for method in HTTP_METHODS if hasattr(view_class, method)]
    return [method.upper() for method in HTTP_METHODS]  # a plain function takes any method


def api_routes() -> set[tuple[str, str]]:
    """Every (route, method) under /api/v1/."""
    return {
        (_readable(route), method)
        for route, callback in _walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX)
        for method in _methods(callback)
    }


ROUTES = api_routes()

# --- what each call sends ---------------------------------------------------------------------------------

# Path parameters without a scene: no such record, so a caller past the check gets a 404.
PLACEHOLDERS = {"id": 999999, "delivery_id": 999999, "slug": "no-such-category", "kind": "rpz"}


def _sent_notice():
    case, items = case_with_items(count=1)
    return sending.send_notice(case=case, actor=make_user(LIAISON)), items[0]


def _just_now() -> str:
    return (timezone.now() - timedelta(minutes=1)).isoformat()


def _platform(caller):
    return {"id": PlatformFactory().pk}, {"since": "2020-01-02", "granted_by": "Ministry of Communication"}


def _advisory(caller):
    advisory = AdvisoryFactory(platforms=[PlatformFactory()])
    return {"id": advisory.pk}, {"lifted_on": "2021-06-01", "reason": "withdrawn by the ministry's letter"}


def _case_to_notify(caller):
    case, _items = case_with_items(count=1)
    return {}, {"case": case.pk}


def _case_with_a_past_notice(caller):
    case, _items = case_with_items(count=1)
    return {}, {"case": case.pk, "sent_at": "2017-03-29T09:00:00+07:00"}


def _notice(caller):
    notice, _item = _sent_notice()
    return {"id": notice.pk}, {}


def _notice_reply(caller):
    notice, _item = _sent_notice()
    return {"id": notice.pk}, {"received_at": _just_now(), "channel": "email", "summary": "Removed."}


def _notice_rebuttal(caller):
    notice, item = _sent_notice()
    return {"id": notice.pk}, {"item": item.pk, "received_at": _just_now(), "reasons": "Satire, not incitement."}


def _rebuttal(caller):
    notice, _item = _sent_notice()
    rebuttal = rebuttals.record_rebuttal(
        notice_item=notice.notice_items.get(),
        actor=make_user(LIAISON),
        received_at=timezone.now() - timedelta(minutes=1),
        reasons="Satire, not incitement.",
    )
    return {"id": rebuttal.pk}, {"decision": "upheld", "reason": "The incitement is plain."}


def _sanction(caller):
    notice, _item = _sent_notice()
    sanction = Sanction.objects.create(
        notice=notice, case=notice.case, amount=Decimal("1000"), imposed_at=notice.sent_at
    )
    return {"id": sanction.pk}, {"to_state": "committed"}


def _order_in_force(caller):
    """An order issued to the caller's ISP (so an ISP account sees it), proposed and approved by two other
    supervisors: past the check a supervisor gets 409 (wrong state), never the four-eyes refusal."""
    account = getattr(caller, "isp_account", None)
    isp = account.isp if account else ISPFactory()
    order = order_in_force(proposer=make_user(SUPERVISOR), approver=make_user(SUPERVISOR), isps=[isp])
    return {"id": order.pk}, {}


def _order_to_approve(caller):
    params, _body = _order_in_force(caller)
    if caller is None:
        return params, {}
    return params, {"password": PASSWORD, "otp_code": second_factor_code(caller)}


# Where the route lets more roles past its first check than the service allows, a nonexistent record or an
# empty body would stop every caller at the same 404 or 400; these routes get a real record and a valid body,
# so the service's own check answers.
SCENES = {
    ("platforms/{id}/trusted-flagger/", "POST"): _platform,
    ("advisories/{id}/lift/", "POST"): _advisory,
    ("notices/", "POST"): _case_to_notify,
    ("notices/preview/", "POST"): _case_to_notify,
    ("notices/record-past/", "POST"): _case_with_a_past_notice,
    ("notices/{id}/confirm/", "POST"): _notice,
    ("notices/{id}/letter/", "GET"): _notice,
    ("notices/{id}/replies/", "POST"): _notice_reply,
    ("notices/{id}/rebuttals/", "POST"): _notice_rebuttal,
    ("rebuttals/{id}/decide/", "POST"): _rebuttal,
    ("sanctions/{id}/transition/", "POST"): _sanction,
    ("block-orders/{id}/submit/", "POST"): _order_in_force,
    ("block-orders/{id}/approve/", "POST"): _order_to_approve,
    ("block-orders/{id}/acknowledge/", "POST"): _order_in_force,
    ("block-orders/{id}/implemented/", "POST"): _order_in_force,
    ("block-orders/{id}/letter/", "GET"): _order_in_force,
}


def _caller(role: str):
    if role == ANONYMOUS:
        return None
    if role == ISP:
        return isp_user(ISPFactory())  # an ISP account belongs to an ISP
    return make_user(role)


def _cases() -> list:
    cases = []
    for path, method in sorted(ROUTES & MATRIX.keys()):
        for role in CALLERS:
            reason = KNOWN_DISAGREEMENTS.get((path, method, role))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(path, method, role, marks=marks, id=f"{method} {path} as {role}"))
    return cases


# --- the tests --------------------------------------------------------------------------------------------


def test_every_api_route_has_a_permission_rule():
    missing = [f"{method} /{API_PREFIX}{path}" for path, method in sorted(ROUTES - MATRIX.keys())]
    assert not missing, "\n".join(
        f"new API route without a permission rule: {route} — add it to the matrix" for route in missing
    )


def test_every_permission_rule_names_a_route_that_exists():
    rules = MATRIX.keys() | SCENES.keys() | {(path, method) for path, method, _role in KNOWN_DISAGREEMENTS}
    stale = [f"{method} /{API_PREFIX}{path}" for path, method in sorted(rules - ROUTES)]
    assert not stale, "\n".join(f"permission rule for a route that no longer exists: {route}" for route in stale)


def test_the_matrix_names_only_roles_that_exist():
    assert set().union(*MATRIX.values()) <= set(Role.values)
    assert {role for _path, _method, role in KNOWN_DISAGREEMENTS} <= set(CALLERS)


@pytest.mark.parametrize(("path", "method", "role"), _cases())
def test_the_role_table_decides_who_passes(api_client, path, method, role):
    caller = _caller(role)
    scene = SCENES.get((path, method))
    params, body = scene(caller) if scene else ({}, {})
    url = f"/{API_PREFIX}{path.format(**{**PLACEHOLDERS, **params})}"
    if caller is not None:
        api_client.force_authenticate(caller)
    send = getattr(api_client, method.lower())
    response = send(url) if method == "GET" else send(url, body, format="json")
    refused_with = 401 if caller is None else 403
    if role in MATRIX[(path, method)]:
        assert response.status_code not in (401, 403), f"{method} {url} as {role} was refused: {response.content!r}"
    else:
        assert response.status_code == refused_with, (
            f"{method} {url} as {role}: expected {refused_with}, got {response.status_code} {response.content[:300]!r}"
        )


@pytest.mark.parametrize("role", Role.values)
def test_the_api_schema_is_served_to_every_signed_in_account(api_client, role):
    api_client.force_authenticate(_caller(role))
    assert api_client.get("/api/schema/").status_code == 200
