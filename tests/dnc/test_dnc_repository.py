"""DNC lists in PostgreSQL: entries with who/when/why, expiry, the audit trail, and numbers_on_dnc."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np
import pytest

from dnc import registry_files, repository
from dnc.errors import DncError, InvalidNumber, UnknownList
from dnc.lists import ListKind

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_the_internal_and_sms_optout_lists_exist_from_the_start(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        lists = {lst.name: lst.kind for lst in await repository.all_lists(conn)}
    assert lists == {"internal": ListKind.INTERNAL, "sms_optout": ListKind.SMS_OPTOUT}


async def test_adding_and_removing_a_number_leaves_an_audit_trail_with_actor_and_reason(
    db_pool: asyncpg.Pool,
) -> None:
    async with db_pool.acquire() as conn:
        entry = await repository.add_entry(
            conn,
            list_name="internal",
            number="+33612345678",
            actor="carol",
            reason="asked on the phone",
            now=NOW,
        )
        assert entry.added_by == "carol" and entry.added_at == NOW
        assert await repository.remove_entry(
            conn,
            list_name="internal",
            number="+33612345678",
            actor="dave",
            reason="added by mistake",
            now=NOW + timedelta(hours=1),
        )
        assert not await repository.remove_entry(
            conn,
            list_name="internal",
            number="+33612345678",
            actor="dave",
            reason="again",
            now=NOW + timedelta(hours=2),
        )
        trail = await repository.audit_page(conn, number="+33612345678")
    assert [(a.action, a.actor, a.reason, a.list_name) for a in trail] == [
        ("remove", "dave", "added by mistake", "internal"),
        ("add", "carol", "asked on the phone", "internal"),
    ]
    assert trail[1].at == NOW


async def test_an_expired_entry_does_not_block(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        await repository.add_entry(
            conn,
            list_name="internal",
            number="+33612345678",
            actor="c",
            reason="r",
            now=NOW,
            expires_at=NOW + timedelta(days=30),
        )
        before = await repository.numbers_on_dnc(
            conn, ["+33612345678"], campaign_id=None, now=NOW + timedelta(days=29)
        )
        after = await repository.numbers_on_dnc(
            conn, ["+33612345678"], campaign_id=None, now=NOW + timedelta(days=30)
        )
    assert before == {"+33612345678": "internal"}
    assert after == {}


async def test_an_expiry_in_the_past_is_refused(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        with pytest.raises(DncError, match="future"):
            await repository.add_entry(
                conn,
                list_name="internal",
                number="+33612345678",
                actor="c",
                reason="r",
                now=NOW,
                expires_at=NOW - timedelta(days=1),
            )


async def test_adding_to_an_unknown_list_names_the_list(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        with pytest.raises(UnknownList, match="nope"):
            await repository.add_entry(
                conn, list_name="nope", number="+33612345678", actor="c", reason="r", now=NOW
            )


async def test_campaign_lists_block_only_their_campaign_and_sms_optouts_never_block_calls(
    db_pool: asyncpg.Pool,
) -> None:
    async with db_pool.acquire() as conn:
        await repository.create_list(
            conn, name="camp7", kind=ListKind.CAMPAIGN, campaign_id=7, actor="c", now=NOW
        )
        await repository.add_entry(
            conn, list_name="camp7", number="+33611111111", actor="c", reason="r", now=NOW
        )
        await repository.add_entry(
            conn, list_name="sms_optout", number="+33622222222", actor="c", reason="STOP", now=NOW
        )
        numbers = ["+33611111111", "+33622222222"]
        for7 = await repository.numbers_on_dnc(conn, numbers, campaign_id=7, now=NOW)
        for8 = await repository.numbers_on_dnc(conn, numbers, campaign_id=8, now=NOW)
    assert for7 == {"+33611111111": "camp7"}
    assert for8 == {}


async def test_numbers_on_dnc_covers_imported_registry_files(db_pool: asyncpg.Pool, tmp_path) -> None:
    keys = np.array([33611111111, 33633333333], dtype=np.int64)
    path = tmp_path / "reg.npy"
    sha = registry_files.write_keys(keys, path)
    async with db_pool.acquire() as conn:
        lst = await repository.create_list(conn, name="bloctel", kind=ListKind.NATIONAL, actor="c", now=NOW)
        await repository.register_registry_file(
            conn, list_id=lst.id, path=str(path), count=2, sha256=sha, actor="c", now=NOW, details={}
        )
        await repository.add_entry(
            conn, list_name="internal", number="+33611111111", actor="c", reason="r", now=NOW
        )
        blocked = await repository.numbers_on_dnc(
            conn, ["+33633333333", "+33611111111", "+33644444444"], campaign_id=None, now=NOW
        )
        with pytest.raises(DncError, match="registry"):
            await repository.remove_entry(
                conn, list_name="bloctel", number="+33633333333", actor="c", reason="r", now=NOW
            )
        actions = [a.action for a in await repository.audit_page(conn)]
    assert blocked == {"+33633333333": "bloctel", "+33611111111": "internal"}  # internal is named first
    assert "import" in actions


async def test_numbers_on_dnc_refuses_a_number_not_in_e164(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        with pytest.raises(InvalidNumber):
            await repository.numbers_on_dnc(conn, ["0612345678"], campaign_id=None, now=NOW)


async def test_a_campaign_list_needs_its_campaign(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        with pytest.raises(DncError, match="campaign id"):
            await repository.create_list(conn, name="c", kind=ListKind.CAMPAIGN, actor="c", now=NOW)
        with pytest.raises(DncError, match="already exists"):
            await repository.create_list(conn, name="internal", kind=ListKind.INTERNAL, actor="c", now=NOW)


async def test_audit_pages_go_back_in_time(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        for i in range(5):
            await repository.add_entry(
                conn, list_name="internal", number=f"+3361234567{i}", actor="c", reason=str(i), now=NOW
            )
        first = await repository.audit_page(conn, limit=2)
        second = await repository.audit_page(conn, limit=2, before_id=first[-1].id)
    assert [a.reason for a in first + second] == ["4", "3", "2", "1"]
