"""A CSV export never hands a spreadsheet a formula: a cell that begins with =, +, -, @, tab or CR is
neutralised with a leading apostrophe, so an outside platform's email subject cannot run in an auditor's
spreadsheet (OWASP's CSV injection advice)."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, make_user
from tracker.core.csv_export import safe_cell, stream_csv

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_starts_like_a_formula_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", "a=b", 42, -3, 2.5, None, "t.me/name"])
def test_other_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_every_streamed_export_writes_neutralised_cells():
    response = stream_csv("x.csv", ["name"], [['=cmd|" /C calc"!A0'], ["fine"]])
    assert rows_of(response) == [["name"], ['\'=cmd|" /C calc"!A0'], ["fine"]]


@pytest.mark.django_db
def test_the_case_export_neutralises_a_formula_in_a_title(client):
    CaseFactory(title='=HYPERLINK("http://evil.example")')
    client.force_login(make_user("auditor"))
    rows = rows_of(client.get(reverse("cases-list"), {"format": "csv"}))
    assert any(cell == '\'=HYPERLINK("http://evil.example")' for row in rows for cell in row)


@pytest.mark.django_db
def test_the_block_order_export_neutralises_a_formula_in_a_case_title(client, supervisor):
    from tests.factories_blocking import draft_order

    case = CaseFactory(title="@SUM(1+1)*cmd")
    draft_order(proposer=supervisor, case=case)
    client.force_login(supervisor)
    response = client.get(reverse("blocking-order-list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][-1] == "'@SUM(1+1)*cmd"
