"""A team lead's lead search: numbers in any format, names without accents, literal % and _, filters."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from campaigns import list_admin, repository
from campaigns.errors import CampaignError
from campaigns.lead_search import (
    LeadQuery,
    build_where,
    fold,
    like_escape,
    name_prefix_query,
    number_candidates,
    regex_literal,
)
from campaigns.model import Campaign, LeadStatus

# --- the pure rules ------------------------------------------------------------------------------------


def test_names_fold_to_lower_case_without_accents_and_d_for_d_with_stroke() -> None:
    assert fold("Nguyễn Đức ĐỖ") == "nguyen duc do"
    assert fold("Trần Thị Ánh") == "tran thi anh"
    assert fold("Nguye\u0302\u0303n") == "nguyen", "decomposed input folds the same"
    assert fold("Ольга Müller") == "ольга muller"


def test_like_and_regex_escaping_make_every_character_literal() -> None:
    assert like_escape("50%_a\\b") == "50\\%\\_a\\\\b"
    assert regex_literal("a.b*c_d%") == "a\\.b\\*c\\_d\\%"
    assert name_prefix_query("Nguyễn  văn%") == "'nguyen':* & 'van':*"
    assert name_prefix_query("%_") == ""


@pytest.mark.parametrize("typed", ["0987 654 321", "+84987654321", "84-987-654-321", "(098) 765-4321",
                                   "+84 98 765 43 21", "０９８７６５４３２１"])
def test_a_vietnamese_mobile_typed_any_way_means_one_number(typed: str) -> None:
    assert "+84987654321" in number_candidates(typed, ["VN"])


def test_a_number_is_read_in_every_region_searched() -> None:
    assert set(number_candidates("06 12 34 56 78", ["FR", "VN"])) == {"+33612345678"}
    assert number_candidates("12345", ["VN"]) == ()


def test_filters_become_parameters_never_sql_text() -> None:
    query = LeadQuery(campaign_ids=(3,), text="x'; DROP TABLE leads; --", statuses=(LeadStatus.NEW,),
                      min_attempts=1, max_attempts=4, last_outcome="no_answer", list_id=9, timezone="Asia/Ho_Chi_Minh",
                      fields={"city'": "Hà Nội"})
    where, args = build_where(query, regions=["VN"])
    assert "DROP" not in where and "Hà" not in where and "city" not in where
    assert [3] in args and "Asia/Ho_Chi_Minh" in args


def test_bad_filters_are_refused() -> None:
    with pytest.raises(CampaignError):
        LeadQuery(min_attempts=-1)
    with pytest.raises(CampaignError):
        LeadQuery(fields={"\x00": "x"})


# --- against PostgreSQL ----------------------------------------------------------------------------------

async def _vn_campaign(pool: asyncpg.Pool, name: str = "Tết") -> Campaign:
    return await repository.create_campaign(pool, campaign=Campaign(
        id=0, name=name, trunk_template="PJSIP/{number}@carrier", default_region="VN", timezone="Asia/Ho_Chi_Minh"))


async def _lead(pool: asyncpg.Pool, campaign_id: int, phone: str, first: str = "", last: str = "", *,
                list_id: int | None = None, status: str = "new", attempts: int = 0, outcome: str | None = None,
                fields: dict[str, str] | None = None, zones: tuple[str, ...] = ("Asia/Ho_Chi_Minh",)) -> int:
    return await pool.fetchval(
        "INSERT INTO leads (campaign_id, list_id, phone_e164, first_name, last_name, status, attempts, last_outcome,"
        " fields, timezones) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        campaign_id, list_id, phone, first, last, status, attempts, outcome, fields or {}, list(zones))


async def _find(pool: asyncpg.Pool, **filters: object) -> list[int]:
    rows = await list_admin.search_page(pool, LeadQuery(**filters), limit=100)  # type: ignore[arg-type]
    return [r.lead.id for r in rows]


@pytest.fixture
async def people(db_pool: asyncpg.Pool) -> dict[str, int]:
    c = await _vn_campaign(db_pool)
    return {
        "nguyen": await _lead(db_pool, c.id, "+84987654321", "Văn An", "Nguyễn"),
        "tran": await _lead(db_pool, c.id, "+84912345678", "Thị Ánh", "TRẦN"),
        "pct": await _lead(db_pool, c.id, "+84903000001", "Giảm 50%", "Khuyến mãi"),
        "five": await _lead(db_pool, c.id, "+84903000002", "Giảm 500", "Khuyến mãi"),
        "under": await _lead(db_pool, c.id, "+84903000003", "a_b", "Test"),
        "axb": await _lead(db_pool, c.id, "+84903000004", "axb", "Test"),
        "campaign": c.id,
    }


@pytest.mark.parametrize("typed", ["0987 654 321", "+84987654321", "84-987-654-321", "0987.654.321"])
async def test_a_lead_is_found_by_its_number_in_any_format(db_pool: asyncpg.Pool, people: dict[str, int],
                                                           typed: str) -> None:
    assert await _find(db_pool, text=typed) == [people["nguyen"]]


async def test_part_of_a_number_finds_the_leads_that_contain_it(db_pool: asyncpg.Pool, people: dict[str, int]) -> None:
    assert await _find(db_pool, text="9030000") == [people["pct"], people["five"], people["under"], people["axb"]]


@pytest.mark.parametrize("typed", ["nguyen", "NGUYỄN", "Nguyễn Văn", "van an nguyen", "an", "tran thi", "ánh"])
async def test_names_are_found_without_accents_in_either_order(db_pool: asyncpg.Pool, people: dict[str, int],
                                                               typed: str) -> None:
    found = await _find(db_pool, text=typed)
    assert found and set(found) <= {people["nguyen"], people["tran"]}


async def test_a_name_matches_from_the_start_of_a_word(db_pool: asyncpg.Pool, people: dict[str, int]) -> None:
    assert await _find(db_pool, text="guyen") == []
    assert await _find(db_pool, text="ngu") == [people["nguyen"]]


async def test_percent_and_underscore_are_literal(db_pool: asyncpg.Pool, people: dict[str, int]) -> None:
    assert await _find(db_pool, text="50%") == [people["pct"]], "50% is not a pattern matching 500"
    assert await _find(db_pool, text="a_b") == [people["under"]], "_ is not any character (axb)"
    assert await _find(db_pool, text="%") == [people["pct"]]
    await _lead(db_pool, people["campaign"], "+84903000005", fields={"code": "A_1"})
    await _lead(db_pool, people["campaign"], "+84903000006", fields={"code": "AB1"})
    assert len(await _find(db_pool, fields={"code": "a_1"})) == 1


async def test_filters_by_status_attempts_outcome_list_zone_and_field(db_pool: asyncpg.Pool) -> None:
    c = await _vn_campaign(db_pool)
    other = await _vn_campaign(db_pool, "Other")
    first = await repository.create_list(db_pool, campaign_id=c.id, name="a.csv", source_filename="a.csv")
    second = await repository.create_list(db_pool, campaign_id=c.id, name="b.csv", source_filename="b.csv")
    a = await _lead(db_pool, c.id, "+84900000001", list_id=first.id, status="retry", attempts=2, outcome="no_answer",
                    fields={"city": "Hà Nội"})
    b = await _lead(db_pool, c.id, "+84900000002", list_id=second.id, status="done", attempts=5, outcome="sale",
                    fields={"city": "Huế"}, zones=("Asia/Bangkok",))
    x = await _lead(db_pool, other.id, "+84900000003", status="retry", attempts=2, outcome="no_answer")
    assert await _find(db_pool, campaign_ids=(c.id,)) == [a, b]
    assert await _find(db_pool) == [a, b, x], "no campaign: every campaign"
    assert await _find(db_pool, statuses=(LeadStatus.RETRY,)) == [a, x]
    assert await _find(db_pool, min_attempts=3) == [b]
    assert await _find(db_pool, max_attempts=2, campaign_ids=(c.id,)) == [a]
    assert await _find(db_pool, last_outcome="sale") == [b]
    assert await _find(db_pool, list_id=second.id) == [b]
    assert await _find(db_pool, timezone="Asia/Bangkok") == [b]
    assert await _find(db_pool, fields={"city": "hà nội"}) == [a]
    assert await list_admin.count_matching(db_pool, LeadQuery(last_outcome="no_answer")) == (2, False)
    assert await list_admin.count_matching(db_pool, LeadQuery(), cap=2) == (2, True)


async def test_pages_follow_each_other_by_id(db_pool: asyncpg.Pool) -> None:
    c = await _vn_campaign(db_pool)
    ids = [await _lead(db_pool, c.id, f"+8490000{n:04d}") for n in range(7)]
    first = await list_admin.search_page(db_pool, LeadQuery(), limit=3)
    second = await list_admin.search_page(db_pool, LeadQuery(), after_id=first[-1].lead.id, limit=3)
    assert [r.lead.id for r in first + second] == ids[:6]
    chunks = [[r.lead.id for r in chunk] async for chunk in list_admin.iter_matching(db_pool, LeadQuery(), chunk=3)]
    assert chunks == [ids[:3], ids[3:6], ids[6:]]


async def test_the_name_index_serves_a_search_among_many_leads(db_pool: asyncpg.Pool) -> None:
    c = await _vn_campaign(db_pool)
    await db_pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name)"
        " SELECT $1, '+8491' || lpad(g::text, 7, '0'), 'Người ' || g, 'Lê' FROM generate_series(1, 20000) g", c.id)
    await _lead(db_pool, c.id, "+84987654321", "Văn An", "Nguyễn")
    await db_pool.execute("ANALYZE leads")
    where, args = build_where(LeadQuery(campaign_ids=(c.id,), text="Nguyễn"), regions=["VN"])
    plan = "\n".join(r[0] for r in await db_pool.fetch(f"EXPLAIN SELECT id FROM leads l WHERE {where}", *args))
    assert "leads_name_words" in plan, plan


@pytest.mark.parametrize(("first", "last"), [("Văn An", "Nguyễn"), ("Jean-Pierre", "O'Brien"), ("ĐỖ", "thị_ÁNH 2"),
                                             ("Zoé", "Lefèvre-Dupré"), ("Ольга", "王小明"), ("", "")])
async def test_the_import_computes_the_same_name_words_as_the_database(db_pool: asyncpg.Pool, first: str,
                                                                       last: str) -> None:
    from campaigns.lead_search import name_words_text

    in_sql = await db_pool.fetchval("SELECT tsvector_to_array(lead_name_words($1, $2))", first, last)
    in_python = await db_pool.fetchval("SELECT tsvector_to_array($1::tsvector)", name_words_text(first, last))
    assert sorted(in_python) == sorted(in_sql)


async def test_imported_inserted_and_edited_leads_are_all_found_by_name(db_pool: asyncpg.Pool) -> None:
    from campaigns.imports import staging_line
    from campaigns.list_admin import Actor, edit_lead

    c = await _vn_campaign(db_pool)
    lst = await repository.create_list(db_pool, campaign_id=c.id, name="a.csv", source_filename="a.csv")
    async with db_pool.acquire() as conn:
        await repository.create_staging(conn)
        staged = staging_line(2, "+84987654321", (), "Văn An", "Nguyễn", ("Asia/Ho_Chi_Minh",), "", "{}", 0)
        await repository.store_chunk(conn, campaign_id=c.id, list_id=lst.id, staging_csv=staged.encode())
    imported = await db_pool.fetchval("SELECT id FROM leads WHERE phone_e164 = '+84987654321'")
    inserted = await _lead(db_pool, c.id, "+84912345678", "Thị Ánh", "Trần")
    assert await _find(db_pool, text="nguyen van an") == [imported]
    assert await _find(db_pool, text="Trần") == [inserted]
    async with db_pool.acquire() as conn:
        await edit_lead(conn, lead_id=inserted, changes={"last_name": "Phạm"}, actor=Actor(None, "t"),
                        now=datetime(2026, 1, 5, tzinfo=UTC))
    assert await _find(db_pool, text="tran") == []
    assert await _find(db_pool, text="pham thi") == [inserted]


async def test_the_agents_search_reads_text_as_the_leads_page_does(db_pool: asyncpg.Pool, people: dict[str, int]) -> None:
    """``repository.search_leads`` (the agent panel's search, /api/campaigns/{id}/leads): same rules."""
    c = people["campaign"]
    found = await repository.search_leads(db_pool, campaign_id=c, text="0987 654 321")
    assert [lead.id for lead in found] == [people["nguyen"]], "a national number (it matched no digits before)"
    assert [lead.id for lead in await repository.search_leads(db_pool, campaign_id=c, text="NGUYEN")] == [people["nguyen"]]
    assert [lead.id for lead in await repository.search_leads(db_pool, campaign_id=c, text="50%")] == [people["pct"]]
    assert [lead.id for lead in await repository.search_leads(db_pool, campaign_id=c, text="a_b")] == [people["under"]]
    done = await repository.search_leads(db_pool, campaign_id=c, status=LeadStatus.DONE)
    assert done == []
