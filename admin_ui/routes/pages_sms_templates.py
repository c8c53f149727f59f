"""SMS template pages for team leads and admins: the list, the editor with a live segment counter and a
preview with a real lead, delete; and the JSON the editor (and the agent panel) call.

* ``POST /api/sms/count`` ``{"text", "campaign_id"}`` -> both counts (as written, without diacritics) of
  the text and, when it is not a template that could be saved, the reason (any signed-in user).
* ``POST /api/sms/preview`` ``{"body", "plain", "lead", "campaign_id"}`` -> the message a real lead (a phone
  number in any format, or ``#id``) would receive, with both counts (team leads).
* ``GET /api/sms/templates?campaign_id=`` -> the templates usable in a campaign (any signed-in user: agents
  read them to send from the panel).

The counts come from ``sms.count_segments`` on the server, so the editor, the preview and the senders can
never disagree. Every text is in English and Vietnamese (``admin_ui.sms_template_text``).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from admin_ui.app import render
from admin_ui.auth import CurrentUser, SignedIn, TeamLead, services_of
from admin_ui.i18n import translator
from campaigns import list_admin
from campaigns import repository as campaign_repository
from campaigns.errors import NotFound
from campaigns.lead_search import LeadQuery
from campaigns.model import Lead
from sms import template_repository as repo
from sms.context import LEAD_FIELDS, message_context
from sms.plain import without_diacritics
from sms.segments import count_segments
from sms.template_repository import SmsTemplate, TemplateNotFound
from sms.templates import MAX_TEMPLATE_CHARS, TemplateRefused, check_template
from sms.templates import render as render_template

router = APIRouter()
NOTICES = ("smst_created", "smst_saved", "smst_deleted")
_LEAD_ID = re.compile(r"#\s*(\d{1,18})|(\d{1,6})")


def refusal_text(t: Any, exc: TemplateRefused) -> str:
    """Why a template was refused, in the reader's language."""
    return t(f"smst_refused_{exc.code}", **exc.params)


def counts(text: str) -> dict[str, Any]:
    """Both counts of ``text``: as written and without diacritics."""
    return {"as_written": count_segments(text).as_dict(), "plain": count_segments(without_diacritics(text)).as_dict()}


# --- pages ---------------------------------------------------------------------------------------------

@router.get("/sms/templates", response_class=HTMLResponse)
async def templates_page(request: Request, user: TeamLead, done: str = "") -> HTMLResponse:
    pool = services_of(request).pool
    t = translator(user.language)
    names = {c.id: c.name for c in await campaign_repository.list_campaigns(pool)}
    rows = [{"tpl": tpl, "campaign": names.get(tpl.campaign_id, "") if tpl.campaign_id else "",
             "counts": counts(tpl.body)} for tpl in await repo.list_templates(pool)]
    return render(request, "sms_templates.html", user, rows=rows, notice=t(done) if done in NOTICES else "")


async def _editor(request: Request, user: CurrentUser, *, values: dict[str, Any], template: SmsTemplate | None,
                  problem: str = "", bad_field: str = "", notice: str = "", status_code: int = 200) -> HTMLResponse:
    t = translator(user.language)
    js_texts = {key: t(f"smst_{key}") for key in ("septets", "units", "parts", "counting_template",
                                                     "preview_none", "problem")}
    js_texts["counting_preview"] = t("smst_counting_preview", name="{name}")
    js_texts["preview_for"] = t("smst_preview_for", name="{name}", phone="{phone}", campaign="{campaign}")
    campaigns = await campaign_repository.list_campaigns(services_of(request).pool)
    return render(request, "sms_template_form.html", user, status_code=status_code, v=values, template=template,
                  campaigns=campaigns, problem=problem, bad_field=bad_field, notice=notice, js_texts=js_texts,
                  max_chars=MAX_TEMPLATE_CHARS, start_counts=counts(str(values.get("body", ""))))


def _values(template: SmsTemplate) -> dict[str, Any]:
    return {"name": template.name, "body": template.body, "plain": template.plain,
            "campaign_id": "" if template.campaign_id is None else str(template.campaign_id)}


def _from_form(form: dict[str, str], template_id: int) -> SmsTemplate:
    campaign = form.get("campaign_id", "").strip()
    return SmsTemplate(id=template_id, name=form.get("name", ""), body=form.get("body", "").replace("\r\n", "\n"),
                       plain=bool(form.get("plain")), campaign_id=int(campaign) if campaign.isdigit() else None)


async def _template(request: Request, template_id: int) -> SmsTemplate:
    try:
        return await repo.get_template(services_of(request).pool, template_id)
    except TemplateNotFound:
        raise HTTPException(404, "there is no such SMS template") from None


async def _save(request: Request, user: CurrentUser, template_id: int) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    services = services_of(request)
    t = translator(user.language)
    try:
        saved = await repo.save_template(services.pool, template=_from_form(form, template_id), by=user.id,
                                         now=services.clock.now())
    except TemplateRefused as exc:
        template = await _template(request, template_id) if template_id else None
        return await _editor(request, user, values=form, template=template, status_code=400,
                             problem=f"{t('smst_not_saved')} {refusal_text(t, exc)}", bad_field=exc.field or "body")
    done = "smst_created" if template_id == 0 else "smst_saved"
    return RedirectResponse(f"/sms/templates/{saved.id}/edit?done={done}", status_code=303)


@router.get("/sms/templates/new", response_class=HTMLResponse)
async def new_template_page(request: Request, user: TeamLead) -> HTMLResponse:
    return await _editor(request, user, values={"name": "", "body": "", "plain": False, "campaign_id": ""},
                         template=None)


@router.post("/sms/templates/new")
async def create_template(request: Request, user: TeamLead) -> Response:
    return await _save(request, user, 0)


@router.get("/sms/templates/{template_id}/edit", response_class=HTMLResponse)
async def edit_template_page(request: Request, user: TeamLead, template_id: int, done: str = "") -> HTMLResponse:
    template = await _template(request, template_id)
    t = translator(user.language)
    return await _editor(request, user, values=_values(template), template=template,
                         notice=t(done) if done in NOTICES else "")


@router.post("/sms/templates/{template_id}/edit")
async def save_template(request: Request, user: TeamLead, template_id: int) -> Response:
    await _template(request, template_id)
    return await _save(request, user, template_id)


@router.post("/sms/templates/{template_id}/delete")
async def delete_template(request: Request, user: TeamLead, template_id: int) -> Response:
    try:
        await repo.delete_template(services_of(request).pool, template_id=template_id)
    except TemplateNotFound:
        raise HTTPException(404, "there is no such SMS template") from None
    return RedirectResponse("/sms/templates?done=smst_deleted", status_code=303)


# --- JSON: counter, preview, templates for the panel ----------------------------------------------------

class CountIn(BaseModel):
    text: str = Field(default="", max_length=4 * MAX_TEMPLATE_CHARS)
    campaign_id: int | None = None


class PreviewIn(BaseModel):
    body: str = Field(default="", max_length=4 * MAX_TEMPLATE_CHARS)
    plain: bool = False
    lead: str = Field(default="", max_length=100)
    campaign_id: int | None = None


@router.post("/api/sms/count")
async def count_api(request: Request, user: SignedIn, data: CountIn) -> dict[str, Any]:
    """Both counts of the text; ``problem``: why it could not be saved as a template (or "")."""
    t = translator(user.language)
    problem = ""
    try:
        check_template(data.text, await repo.known_fields(services_of(request).pool, campaign_id=data.campaign_id))
    except TemplateRefused as exc:
        problem = refusal_text(t, exc)
    return {**counts(data.text), "problem": problem}


async def find_lead(request: Request, ref: str, campaign_id: int | None) -> Lead | None:
    """The lead ``ref`` names: ``#id`` (or a short number), else a phone number in any format or a name,
    searched in ``campaign_id`` (every campaign when None)."""
    pool = services_of(request).pool
    ref = ref.strip()
    found = _LEAD_ID.fullmatch(ref)
    if found:
        try:
            lead = await campaign_repository.get_lead(pool, lead_id=int(found.group(1) or found.group(2)))
            if campaign_id is None or lead.campaign_id == campaign_id:
                return lead
        except NotFound:
            pass
        if found.group(1):
            return None
    if not ref:
        return None
    query = LeadQuery(campaign_ids=(campaign_id,) if campaign_id is not None else None, text=ref)
    rows = await list_admin.search_page(pool, query, limit=1)
    return rows[0].lead if rows else None


async def lead_context(request: Request, lead: Lead, *, agent_name: str | None) -> dict[str, Any]:
    """The message context of ``lead`` as a send would build it: its campaign, its next callback in its own
    zone (the campaign's when it has none), the imported columns of its campaign."""
    pool = services_of(request).pool
    campaign = await campaign_repository.get_campaign(pool, campaign_id=lead.campaign_id)
    callback_at = await pool.fetchval("SELECT due_at FROM callbacks WHERE lead_id = $1 AND done_at IS NULL"
                                      " ORDER BY due_at LIMIT 1", lead.id)
    columns = await repo.known_fields(pool, campaign_id=lead.campaign_id) - LEAD_FIELDS
    return message_context(asdict(lead), agent_name=agent_name, campaign={"name": campaign.name},
                           callback_at=callback_at, zone=lead.zones_or(campaign.timezone)[0], columns=columns)


@router.post("/api/sms/preview")
async def preview_api(request: Request, user: TeamLead, data: PreviewIn) -> dict[str, Any]:
    """The message the lead would receive, both counts; ``problem`` when it cannot be rendered."""
    t = translator(user.language)
    lead = await find_lead(request, data.lead, data.campaign_id)
    if lead is None:
        return {"ok": False, "problem": t("smst_no_lead", ref=data.lead.strip())}
    shown = {"id": lead.id, "name": " ".join(p for p in (lead.first_name, lead.last_name) if p) or f"#{lead.id}",
             "phone": lead.phone_e164}
    campaign = await campaign_repository.get_campaign(services_of(request).pool, campaign_id=lead.campaign_id)
    shown["campaign"] = campaign.name
    try:
        text = render_template(data.body, await lead_context(request, lead, agent_name=user.display_name or
                                                             user.username))
    except TemplateRefused as exc:
        return {"ok": False, "lead": shown, "problem": refusal_text(t, exc)}
    plain_text = without_diacritics(text)
    return {"ok": True, "lead": shown, "text": plain_text if data.plain else text, "as_written_text": text,
            "plain_text": plain_text, **counts(text)}


@router.get("/api/sms/templates")
async def templates_api(request: Request, user: SignedIn, campaign_id: int | None = None) -> dict[str, Any]:
    """The templates usable in ``campaign_id`` (every template when None)."""
    found = await repo.list_templates(services_of(request).pool, usable_in=campaign_id)
    return {"templates": [{"id": tpl.id, "name": tpl.name, "body": tpl.body, "plain": tpl.plain,
                           "campaign_id": tpl.campaign_id} for tpl in found]}
