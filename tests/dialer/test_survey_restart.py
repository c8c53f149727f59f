"""A survey cut by an engine crash, on the simulated PBX over TCP: the restarted engine settles every survey the
dead one left open. A customer still in ``dialer-survey`` (the dialplan waits for the engine's next step) resumes
at the question after its last saved answer and can finish; one who hung up meanwhile has its survey closed,
``engine_restart``, not completed, its answers kept."""

from __future__ import annotations

from types import SimpleNamespace

from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.settings import AmiServer
from dialer.system import run_system
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.survey_customer import SurveyCustomer
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.dialer.test_engine_restart import ENGINE, PBX_NAME, DoomedEngine, until

SPEED = 5.0
RATING = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "Restart check", "intro": [{"kind": "sound", "value": "vm-intro"}],
          "outro": [{"kind": "sound", "value": "auth-thankyou"}],
          "questions": [{"id": f"q{i}", "kind": "rating", "prompt": RATING, "timeout_s": 8} for i in (1, 2, 3)]}
# each answer comes 4-5 s into its step: both customers are mid-survey for a while
TAKER = SurveyCustomer(answers={"q1": {"4": 1.0}, "q2": {"5": 1.0}, "q3": {"3": 1.0}}, think_s=(4.0, 5.0))


async def test_a_survey_cut_by_a_crash_resumes_if_the_customer_is_there_and_is_closed_if_not(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    sim = SimulatedPbx(PbxConfig(speed=SPEED, seed=12, survey_customer=TAKER))
    await sim.start(host="127.0.0.1", port=0)
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    services.settings.ami_servers = [AmiServer(name=PBX_NAME, port=sim.port, username=sim.config.username,
                                               secret=sim.config.secret, max_channels=50)]
    pool = services.pool
    try:
        scenario = await build_scenario(pool, leads=2, agents=0, now=services.clock.now(), mode=DialMode.PROGRESSIVE,
                                        dnc_share=0.0, outside_share=0.0)
        version = await survey_repo.create_survey(pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
        await pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                           " 'campaign', 2)", version.survey_id, scenario.campaign.id)
        first = DoomedEngine(services, sim, scenario.campaign)
        first.engine.surveys.wait_s = 600.0          # the dialplan waits long for the next step: across the restart
        first.engine.surveys.survey_hold_s = 60.0
        await first.engine.surveys.follow_campaign(scenario.campaign.id)
        await first.start()
        for lead in await pool.fetch("SELECT id, phone_e164 FROM leads WHERE campaign_id = $1", scenario.campaign.id):
            await first.dial(SimpleNamespace(id=lead["id"], phone_e164=lead["phone_e164"]))
        await until(lambda: pool.fetchval("SELECT count(DISTINCT response_id) = 2 FROM survey_answers"),
                    what="both customers answered question 1")
        await first.kill()
        kept = await pool.fetch("SELECT response_id, question_id, value FROM survey_answers ORDER BY id")
        assert {r["question_id"] for r in kept} == {"q1"}, "both are mid-survey at the crash"
        legs = {r["leg_id"]: r["id"] for r in await pool.fetch("SELECT id, leg_id FROM survey_responses")}
        gone_leg, staying_leg = sorted(legs)
        (gone,) = [ch for ch in sim.channels()
                   if ch.variables.get("DIALER_LEG_ID") == gone_leg and ch.context == "dialer-survey"]
        sim.switch.hangup(gone, 16)               # one customer hangs up while no engine runs
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            await until(lambda: pool.fetchval("SELECT count(*) = 2 FROM survey_responses WHERE ended_at IS NOT NULL"),
                        timeout_s=30, what="both surveys settled")
            errors = list(system.engine.errors)
    finally:
        await sim.stop()
    assert errors == []
    rows = {r["leg_id"]: r for r in await pool.fetch("SELECT * FROM survey_responses")}
    closed, resumed = rows[gone_leg], rows[staying_leg]
    assert (closed["ended_reason"], closed["completed"]) == ("engine_restart", False)
    assert (resumed["ended_reason"], resumed["completed"]) == ("completed", True)
    answers = {(r["response_id"], r["question_id"]): r["value"] for r in await pool.fetch(
        "SELECT response_id, question_id, value FROM survey_answers")}
    assert answers == {(closed["id"], "q1"): "4", (resumed["id"], "q1"): "4", (resumed["id"], "q2"): "5",
                       (resumed["id"], "q3"): "3"}
