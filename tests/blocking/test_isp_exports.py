"""Each ISP's blocklist holds only the names of orders in force that bind it; staff keep the national list."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from blocking import exports, services, signing
from blocking.models import BlocklistEntry
from blocking.verify_blocklist import load_public_key, verify
from tests.factories_blocking import ISPFactory, isp_user, issued_lift, order_in_force
from tracker.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def telkom():
    return ISPFactory(name="Telkom")


@pytest.fixture
def indosat():
    return ISPFactory(name="Indosat")


@pytest.fixture
def block(supervisor, second_supervisor):
    """An order in force blocking `names` for the ISPs given."""

    def put_in_force(names: str, *isps, **kw):
        return order_in_force(proposer=supervisor, approver=second_supervisor, names=names, isps=list(isps), **kw)

    return put_in_force


@pytest.fixture
def lift(supervisor, second_supervisor):
    def issue(order, names: str):
        return issued_lift(block=order, proposer=supervisor, approver=second_supervisor, names=names)

    return issue


def read(kind: str, isp=None) -> str:
    return exports.get_export(kind, isp=isp).path.read_text()


def diff_lines(from_serial: int, to_serial: int, isp=None) -> list[str]:
    return exports.get_diff(from_serial, to_serial, isp=isp).path.read_text().splitlines()[1:]


def test_every_format_an_isp_fetches_leaves_out_names_only_another_isps_orders_block(block, telkom, indosat):
    mine = block("a.example.com", telkom)
    theirs = block("b.example.com\n*.b-sub.example", indosat)
    for kind in exports.FORMATS:
        telkoms, national = read(kind, telkom), read(kind)
        assert "a.example.com" in telkoms and mine.reference in read("csv", telkom)
        assert "b.example.com" not in telkoms and "b-sub.example" not in telkoms and theirs.reference not in telkoms
        assert "a.example.com" in national and "b.example.com" in national and "b-sub.example" in national


def test_a_name_both_isps_orders_block_is_in_both_lists_each_under_its_own_order(block, telkom, indosat):
    theirs = block("shared.example.com", indosat)
    assert "shared.example.com" not in read("csv", telkom)
    mine = block("shared.example.com", telkom)
    # The name was in the national list already (its entry names Indosat's order); Telkom's list changed: a version.
    assert exports.current_serial() == 2 and BlocklistEntry.objects.get().order == theirs
    assert read("csv", telkom).splitlines()[1:] == [f"shared.example.com,no,{mine.reference}"]
    assert read("csv", indosat).splitlines()[1:] == [f"shared.example.com,no,{theirs.reference}"]
    assert json.loads(read("json", telkom))["isp"] == telkom.pk


def test_a_name_lifted_from_an_isps_order_stays_out_of_its_list_when_another_isp_is_ordered_to_block_it(
    block, lift, telkom, indosat
):
    mine = block("x.example.com\ny.example.com", telkom)
    lift(mine, "x.example.com")
    block("x.example.com", indosat, effective_in=timedelta(hours=2))
    assert read("txt", telkom).splitlines()[1:] == ["y.example.com"]
    assert read("txt", indosat).splitlines()[1:] == ["x.example.com"]


def test_an_isp_diff_leaves_out_names_only_another_isps_orders_block(block, lift, telkom, indosat):
    mine = block("a.example.com", telkom)
    theirs = block("b.example.com", indosat)
    assert diff_lines(0, 2) == ["+a.example.com", "+b.example.com"]
    assert diff_lines(0, 2, isp=telkom) == ["+a.example.com"]
    lift(theirs, "b.example.com")
    assert diff_lines(2, 3) == ["-b.example.com"]
    assert diff_lines(2, 3, isp=telkom) == []
    assert diff_lines(2, 3, isp=indosat) == ["-b.example.com"]
    assert theirs.reference not in exports.get_diff(0, 3, isp=telkom).path.read_text()
    assert mine.reference not in exports.get_diff(0, 3, isp=indosat).path.read_text()


def test_an_isp_diff_follows_its_own_orders_when_the_national_list_does_not_change(block, telkom, indosat):
    block("shared.example.com", indosat)  # version 1
    assert diff_lines(0, 1, isp=telkom) == []
    mine = block("shared.example.com", telkom, ends_at=timezone.now() + timedelta(days=1))  # 2
    block("shared.example.com", indosat)  # 3: a second order for a name Indosat holds already
    assert diff_lines(1, 3) == []
    assert diff_lines(1, 3, isp=telkom) == ["+shared.example.com"]
    assert diff_lines(1, 3, isp=indosat) == []
    services.end_order(order_id=mine.pk, now=mine.ends_at)  # 4
    assert exports.current_serial() == 4
    assert diff_lines(3, 4, isp=telkom) == ["-shared.example.com"]
    assert diff_lines(1, 4, isp=telkom) == []
    assert read("txt", telkom).splitlines()[1:] == []
    assert read("txt", indosat).splitlines()[1:] == ["shared.example.com"]


def test_an_isp_diff_between_two_past_versions_is_exact(block, telkom):
    block("a.example.com", telkom)
    block("b.example.com", telkom)
    assert diff_lines(0, 1, isp=telkom) == ["+a.example.com"]
    assert diff_lines(1, 2, isp=telkom) == ["+b.example.com"]
    with pytest.raises(DomainError, match="<= 2"):
        exports.get_diff(0, 3, isp=telkom)


def test_an_isp_export_verifies_offline_and_its_signature_names_the_isp(block, telkom, indosat, tmp_path):
    block("a.example.com", telkom)
    export = exports.get_export("rpz", isp=telkom)
    assert export.filename == f"blocklist-isp{telkom.pk}-v1.rpz"
    record = verify(export.path, export.signature_path, load_public_key(signing.public_key_pem()))
    assert record["isp"] == telkom.pk and record["format"] == f"rpz for ISP {telkom.pk}"
    relabelled = {**record, "isp": indosat.pk, "format": f"rpz for ISP {indosat.pk}"}
    forged = tmp_path / "forged.sig"
    forged.write_text(json.dumps(relabelled))
    with pytest.raises(ValueError, match="bad signature"):
        verify(export.path, forged, load_public_key(signing.public_key_base64()))


def test_the_version_list_shown_to_an_isp_names_only_its_own_orders(api_client, make_user, block, telkom, indosat):
    mine = block("a.example.com", telkom)
    theirs = block("b.example.com", indosat)
    api_client.force_authenticate(isp_user(telkom))
    shown = api_client.get("/api/v1/blocklist/")
    assert [(v["serial"], v["order"]) for v in shown.json()["versions"]] == [(2, None), (1, mine.reference)]
    assert theirs.reference not in shown.content.decode()
    api_client.force_authenticate(make_user("liaison_officer"))
    staff = api_client.get("/api/v1/blocklist/").json()
    assert [v["order"] for v in staff["versions"]] == [theirs.reference, mine.reference]


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_an_isp_cannot_fetch_another_isps_list_by_any_parameter(api_client, make_user, block, telkom, indosat):
    block("a.example.com", telkom)
    block("b.example.com", indosat)
    api_client.force_authenticate(isp_user(telkom))
    # A parameter the export does not take is refused by name, never read.
    assert api_client.get("/api/v1/blocklist/export/txt/", {"isp": indosat.pk}).status_code == 400
    assert api_client.get("/api/v1/blocklist/export/txt/signature/", {"isp": indosat.pk}).status_code == 400
    assert body(api_client.get("/api/v1/blocklist/export/txt/")).splitlines()[1:] == ["a.example.com"]
    signature = json.loads(body(api_client.get("/api/v1/blocklist/export/txt/signature/")))
    assert signature["isp"] == telkom.pk
    assert body(api_client.get("/api/v1/blocklist/diff/", {"from": 0, "to": 2})).splitlines()[1:] == ["+a.example.com"]
    assert api_client.get("/api/v1/blocklist/diff/", {"from": 0, "to": 2, "isp": indosat.pk}).status_code == 400
    assert api_client.get(f"/api/v1/blocklist/export/blocklist-isp{indosat.pk}-v2.txt/").status_code == 400
    api_client.force_authenticate(make_user("isp"))  # an ISP account not linked to an ISP gets no list at all
    assert api_client.get("/api/v1/blocklist/export/txt/").status_code == 403
    api_client.force_authenticate(make_user("liaison_officer"))
    national = body(api_client.get("/api/v1/blocklist/export/txt/"))
    assert sorted(national.splitlines()[1:]) == ["a.example.com", "b.example.com"]


def test_an_older_isp_export_is_removed_but_other_lists_are_kept(block, telkom, indosat):
    block("a.example.com", telkom)
    old, theirs, national = (exports.get_export("rpz", isp=isp) for isp in (telkom, indosat, None))
    block("new.example.com", telkom)
    new = exports.get_export("rpz", isp=telkom)
    assert "new.example.com CNAME ." in new.path.read_text()
    assert not old.path.exists() and not old.signature_path.exists()
    assert theirs.path.exists() and national.path.exists()
