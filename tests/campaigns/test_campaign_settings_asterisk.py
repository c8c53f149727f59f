"""A setting that reaches Asterisk and that Asterisk could not carry is refused at save, naming the field:
422 from the API, and the form page in the reader's language."""

from __future__ import annotations

import pytest

from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form, sign_in

BODY = {"name": "Chiến dịch, số 1", "trunk_template": "PJSIP/{number}@carrier", "default_region": "VN",
        "timezone": "Asia/Ho_Chi_Minh"}


@pytest.mark.parametrize(("field", "value"), [
    ("trunk_template", "PJSIP/{number}@car,rier"), ("trunk_template", "PJSIP/{number}@nhà mạng"),
    ("trunk_template", "PJSIP/{number}@a|b"), ("trunk_template", 'PJSIP/{number}@"x"'),
    ("caller_id", '"Công ty\nABC" <+84901234567>'), ("caller_id", "Công ty ABC"),
    ("safe_harbor_message", "xin lỗi, gọi lại sau"), ("safe_harbor_message", 'custom/"quote"'),
])
async def test_the_api_refuses_what_asterisk_cannot_carry_naming_the_field(api_client, field: str,
                                                                          value: str) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/campaigns", json={**BODY, field: value})
        assert created.status_code == 422, created.text
        assert created.json()["detail"].startswith(f"{field}: ")


async def test_the_api_keeps_a_caller_id_name_with_commas_quotes_pipes_and_vietnamese(api_client) -> None:  # type: ignore[no-untyped-def]
    caller_id = '"Công ty "ABC", chi nhánh | Hà Nội" <+84901234567>'
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/campaigns", json={**BODY, "caller_id": caller_id})
        assert created.status_code == 201, created.text
        assert created.json()["caller_id"] == caller_id


async def test_the_form_names_the_refused_field_in_vietnamese(browser_client, make_user) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    page = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Chiến dịch mới", trunk_template="PJSIP/{number}@nhà mạng, 2"))
    assert page.status_code == 400
    assert "Chưa lưu được: Đường trung kế: Asterisk không thể quay chuỗi này." in page.text
    page = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Chiến dịch mới", caller_id="Công ty ABC"))
    assert page.status_code == 400 and "Số hiển thị: hãy viết một số" in page.text
