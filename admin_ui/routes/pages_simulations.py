"""The simulations page: anyone signed in compares pacers on a simulated campaign before going live.

The form picks a shipped scenario (or takes TOML), the pacers, seeds and hours, and optional overrides
(agents, connect rate, talk time). It is checked when submitted (``simulations.runs.build``) and runs as a
background job whose progress bar the page follows; the finished page shows the comparison table, the day
plot (abandonment and occupancy per hour, per pacer) and a CSV of every simulated call. The form a run was
started with is kept beside its job (``sim-form:<run id>`` in Valkey, as long as the job), so the page of a
run shows its inputs again, ready to change one and run again.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import CurrentUser, SignedIn, services_of
from dialer import jobs
from simulations import runs

router = APIRouter()
_RUN_ID = re.compile(r"^[0-9a-f]{16}$")
_FILES = {runs.PLOT_NAME: "image/png", runs.CSV_NAME: "text/csv"}
FORM_KEYS = ("scenario", "toml", "pacers", "seeds", "hours", "agents", "connect", "talk")


def _form_key(run_id: str) -> str:
    return f"sim-form:{run_id}"


def _kept_form(request: Request, run_id: str) -> dict[str, Any]:
    """The form this run was started with ({} when it is gone or unreadable)."""
    raw = services_of(request).redis.get(_form_key(run_id))
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if k in FORM_KEYS} if isinstance(data, dict) else {}


def _number(value: str, kind: type, label: str) -> Any:
    value = value.strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{label} must be a number, got {value!r}") from None


def _page(request: Request, user: CurrentUser, *, status_code: int = 200, problem: str = "",
          form: dict[str, Any] | None = None, job: str = "") -> HTMLResponse:
    status = result = None
    run_id = ""
    if job:
        if not job.startswith("sim-") or not _RUN_ID.match(job[4:]):
            raise HTTPException(404, "no such simulation")
        status = jobs.job_status(services_of(request).redis, job)
        if status is None:
            raise HTTPException(404, "no such simulation")
        run_id = job[4:]
        result = status.result if status.status == "finished" else None
        if form is None:
            form = _kept_form(request, run_id)
    defaults = {"scenario": "agents20_connect30", "pacers": ["predictive", "progressive", "vicidial"],
                "seeds": "1", "hours": "8", "agents": "", "connect": "", "talk": "", "toml": ""}
    return render(request, "simulations.html", user, status_code=status_code, problem=problem,
                  form={**defaults, **(form or {})}, scenarios=runs.shipped(), pacers=runs.PACERS,
                  max_seeds=runs.MAX_SEEDS, job_id=job, status=status, result=result, run_id=run_id,
                  plot_name=runs.PLOT_NAME, csv_name=runs.CSV_NAME)


@router.get("/simulations", response_class=HTMLResponse)
async def simulations_page(request: Request, user: SignedIn, job: str = "") -> HTMLResponse:
    return _page(request, user, job=job)


@router.post("/simulations")
async def start_simulation(
    request: Request, user: SignedIn,
    scenario: Annotated[str, Form()] = "", toml: Annotated[str, Form()] = "",
    pacers: Annotated[list[str] | None, Form()] = None, seeds: Annotated[str, Form()] = "1",
    hours: Annotated[str, Form()] = "8", agents: Annotated[str, Form()] = "",
    connect: Annotated[str, Form()] = "", talk: Annotated[str, Form()] = "",
) -> Response:
    form = {"scenario": scenario, "toml": toml, "pacers": pacers or [], "seeds": seeds, "hours": hours,
            "agents": agents, "connect": connect, "talk": talk}
    try:
        text = toml if toml.strip() else runs.shipped_toml(scenario)
        n_seeds, n_hours = _number(seeds, int, "seeds"), _number(hours, float, "hours")
        request_ = runs.RunRequest(
            scenario_toml=text, pacers=tuple(pacers or ()), seeds=1 if n_seeds is None else n_seeds,
            hours=8.0 if n_hours is None else n_hours, agents=_number(agents, int, "agents"),
            connect_pct=_number(connect, float, "the connect rate"), talk_s=_number(talk, float, "the talk time"))
        scen = runs.build(request_)
    except ValueError as exc:
        return _page(request, user, status_code=400, problem=str(exc), form=form)
    services = services_of(request)
    run_id = secrets.token_hex(8)
    services.redis.set(_form_key(run_id), json.dumps(form), ex=int(runs.KEEP_S))
    runs.prune(services.settings.data_dir / "simulations")   # their jobs' results are gone too
    out_dir = services.settings.data_dir / "simulations" / run_id
    jobs.enqueue(services.redis, runs.simulate_job, description=f"Simulation: {scen.name}", job_id=f"sim-{run_id}",
                 out_dir=str(out_dir), request=request_)
    return RedirectResponse(f"/simulations?job=sim-{run_id}", status_code=303)


@router.get("/simulations/{run_id}/{name}")
async def simulation_file(request: Request, user: SignedIn, run_id: str, name: str) -> Response:
    path = services_of(request).settings.data_dir / "simulations" / run_id / name
    if not _RUN_ID.match(run_id) or name not in _FILES or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, media_type=_FILES[name],
                        filename=None if name.endswith(".png") else f"simulation-{run_id}.csv")
