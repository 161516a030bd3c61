"""The figures page, its SVG charts, its CSV and JSON exports and GET /api/v1/figures/: who may read them, what
they show (the hand-counted fixture of test_figures), and clear refusals of bad periods and unknown parameters."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.factories import api_token
from tests.factories_blocking import ISPFactory, isp_user

pytestmark = pytest.mark.django_db


Q4 = "from=2026-10-01&to=2026-12-31"


@pytest.fixture
def reader(client, supervisor):
    client.force_login(supervisor)
    return client


def test_the_page_shows_each_table_with_links_to_the_records_behind(reader, quarter):
    response = reader.get(f"/figures/?{Q4}")
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr data-key="telegram">(.*?)</tr>', page, re.S).group(1)
    assert '<a href="/notices/?platform=telegram&amp;sent_after=2026-10-01&amp;sent_before=2026-12-31">3</a>' in row
    assert "60%" in row and "40%" in row  # removed, and removed within the deadline
    assert "18 hours" in row  # the median time to answer
    assert '<a href="/notices/?platform=telegram&amp;overdue=true">1</a>' in row
    isp = re.search(rf'<tr data-key="{quarter["isp_y"].pk}">(.*?)</tr>', page, re.S).group(1)
    orders = f"/blocking/orders/?isp={quarter['isp_y'].pk}&amp;issued_after=2026-10-01&amp;issued_before=2026-12-31"
    assert f'<a href="{orders}">2</a>' in isp
    assert "ISP Y" in isp and "(0 / 1)" in isp  # one acknowledgement due, the lifted order's not counted
    assert 'href="/items/?status=new"' in page
    assert re.search(r'id="recheck-confirmed">0%.*?\(0 / 4\)', page, re.S)  # nothing re-checked yet
    for chart in ("platforms", "isps", "trends", "logged"):
        assert f'src="/figures/charts/{chart}.svg?from=2026-10-01&amp;to=2026-12-31&amp;group=platform' in page
    assert page.count('alt="') >= 4


def test_the_page_reads_in_indonesian(reader, quarter):
    page = reader.get(f"/figures/?{Q4}", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Platform" in page and "Tren" in page


def test_charts_are_svg_with_no_script_loaded_and_a_strict_policy(reader, quarter):
    for name in ("platforms", "isps", "trends", "logged"):
        response = reader.get(f"/figures/charts/{name}.svg?{Q4}")
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        svg = response.content.decode()
        ET.fromstring(svg)  # noqa: S314 - well-formed; our own output
        # Nothing is fetched: no link, image, font or stylesheet from anywhere (pygal's own script tags are
        # not loaded: "js" is empty, and an SVG shown as an image runs no script anyway).
        assert not re.search(r"(href|src)=\"(https?:)?//|url\(|@import|@font-face", svg)
        assert "kozea.github.io" not in svg
    assert reader.get(f"/figures/charts/nothing.svg?{Q4}").status_code == 404


def test_trend_chart_draws_the_counted_series(reader, quarter):
    svg = reader.get(f"/figures/charts/trends.svg?{Q4}&interval=month").content.decode()
    assert "notices sent" in svg and "Oct 2026" in svg


def test_csv_exports_hold_the_table_numbers(reader, quarter):
    response = reader.get(f"/figures/platforms.csv?{Q4}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    telegram = next(row for row in rows if row["key"] == "telegram")
    assert (telegram["notices"], telegram["items"], telegram["removed"], telegram["answer_p50"]) == (
        "3", "5", "3", "64800.0",
    )  # fmt: skip
    for table in ("isps", "work", "trends"):
        assert reader.get(f"/figures/{table}.csv?{Q4}").status_code == 200
    assert reader.get(f"/figures/secrets.csv?{Q4}").status_code == 404
    assert reader.get(f"/figures/platforms.txt?{Q4}").status_code == 404


def test_json_export_is_the_whole_report(reader, quarter):
    response = reader.get(f"/figures/all.json?{Q4}&group=category")
    body = json.loads(response.content)
    assert body["group_by"] == "category" and body["period"]["from"] == "2026-10-01"
    assert {row["key"] for row in body["platforms"]} == {"terrorism", "gambling"}


def test_bad_periods_are_named_on_the_page(reader, quarter):
    response = reader.get("/figures/?from=2026-10-05&to=2026-10-01")
    assert response.status_code == 400
    assert "The period ends before it begins." in response.content.decode()
    assert reader.get("/figures/?group=colour").status_code == 400
    assert reader.get("/figures/charts/trends.svg?from=soon").status_code == 400


def test_the_api_returns_the_same_figures(api_client, auditor, quarter):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(auditor)}")
    response = api_client.get(f"/api/v1/figures/?{Q4}")
    assert response.status_code == 200, response.content
    body = response.json()
    telegram = next(row for row in body["platforms"] if row["key"] == "telegram")
    assert (telegram["notices"], telegram["removed_share"], telegram["removal_p50"]) == (3, 0.6, 86400.0)
    assert body["period"] == {"from": "2026-10-01", "to": "2026-12-31", "time_zone": "Asia/Jakarta"}
    assert body["work"]["imports"]["rejected"] == 3
    assert body["trends"][0]["starts"] == "2026-09-28"


def test_the_api_refuses_unknown_parameters_and_bad_values(api_client, auditor, quarter):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(auditor)}")
    unknown = api_client.get(f"/api/v1/figures/?{Q4}&platform=telegram")
    assert unknown.status_code == 400 and "platform" in unknown.json()["error"]["fields"]
    bad = api_client.get("/api/v1/figures/?interval=day")
    assert bad.status_code == 400 and "interval" in bad.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor", "administrator"])
def test_who_reads_figures(client, make_user, role, frozen_now):
    client.force_login(make_user(role, is_staff=role == "administrator"))
    assert client.get("/figures/").status_code == 200


def test_an_isp_reads_no_figures(client, api_client, frozen_now):
    account = isp_user(ISPFactory())
    client.force_login(account)
    assert client.get("/figures/").status_code == 403
    assert client.get("/figures/charts/trends.svg").status_code == 403
    assert client.get("/figures/all.json").status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(account)}")
    assert api_client.get("/api/v1/figures/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/figures/").status_code == 302
    assert client.get("/api/v1/figures/").status_code in (401, 403)
