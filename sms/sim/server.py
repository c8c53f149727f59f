"""The simulated SMS provider over real HTTP (``dialer sms-sim``): the Twilio, eSMS-style and generic send APIs,
delivery reports to each message's callback URL after a delay (signed as each kind signs), STOP replies to the
dialer's inbound webhook, and faults on demand.

Endpoints:
- ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (Twilio: form, basic auth; de-duplicates on the
  ``Idempotency-Key`` header)
- ``POST /MainService.svc/json/SendMultipleMessage_V4_post_json/`` (eSMS: JSON; a repeated ``RequestId`` gets
  CodeResult 124, as eSMS answers)
- ``POST /v1/messages`` (generic: JSON, bearer token; a repeated ``idempotency_key`` gets the first id again)
- ``GET /_sim/log?offset=&limit=``: every message accepted, in order (a test proves no duplicates with it)
- ``GET /_sim/stats``; ``GET|POST /_sim/faults`` (``sms.sim.state.Faults``); ``POST /_sim/inbound`` (a reply now)

Incoming messages go to the inbound URL configured per API, else to the message's callback URL with its last
path segment ``status`` replaced by ``inbound`` (the dialer's ``/sms/webhooks/{name}/status`` -> ``/inbound``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import itertools
import json
import logging
import socket
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from datetime import UTC
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dialer.clock import Clock, RealClock
from sms.sim.state import Api, Faults, SimConfig, SimMessage, SimState
from sms.webhooks import WebhookError, e164, esms_mo_sign, hmac_headers, twilio_signature

log = logging.getLogger("sms.sim")

TWILIO_PATH = "/2010-04-01/Accounts/{account}/Messages.json"
ESMS_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
GENERIC_PATH = "/v1/messages"


@dataclass(frozen=True, slots=True)
class Callback:
    """One request the simulator makes to the dialer: a delivery report or an incoming message."""

    api: Api
    what: str                                   # "report" | "reply"
    method: str
    url: str
    form: tuple[tuple[str, str], ...] = ()      # twilio
    query: tuple[tuple[str, str], ...] = ()     # esms (GET)
    body: dict[str, Any] | None = None          # generic (JSON)


def inbound_url_from(callback_url: str) -> str:
    """``.../sms/webhooks/sim/status?token=x`` -> ``.../sms/webhooks/sim/inbound``."""
    parts = urlsplit(callback_url)
    path = parts.path
    path = path[: -len("status")] + "inbound" if path.endswith("/status") else path.rstrip("/") + "/inbound"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _with_query(url: str, params: tuple[tuple[str, str], ...]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


class SmsSimulator:
    """One simulated provider; ``start()`` serves it on a real port, ``stop()`` ends it (and its callbacks)."""

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None,
                 inbound_urls: dict[str, str] | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = clock or RealClock()
        self.state = SimState(self.config)
        self.inbound_urls = dict(inbound_urls or {})
        self.url = ""
        self._heap: list[tuple[float, int, Callback]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._queue: asyncio.Queue[Callback] = asyncio.Queue()
        self._in_flight = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._server: uvicorn.Server | None = None
        self._client: httpx.AsyncClient | None = None
        self.app = Starlette(routes=[
            Route(TWILIO_PATH, self._twilio_send, methods=["POST"]),
            Route(ESMS_PATH, self._esms_send, methods=["POST"]),
            Route(GENERIC_PATH, self._generic_send, methods=["POST"]),
            Route("/_sim/log", self._log, methods=["GET"]),
            Route("/_sim/stats", self._stats, methods=["GET"]),
            Route("/_sim/faults", self._faults, methods=["GET", "POST"]),
            Route("/_sim/inbound", self._inbound, methods=["POST"]),
        ])

    # --- lifetime -----------------------------------------------------------------------------------------------

    async def start(self, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None) -> str:
        """Serve on ``host:port`` (0: a free port) or on the bound ``sock``; returns the base URL."""
        self._client = httpx.AsyncClient(timeout=10.0)
        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._tasks.append(asyncio.create_task(self._server.serve(sockets=[sock] if sock else None),
                                               name="sms-sim-http"))
        while not self._server.started:
            if self._tasks[0].done():
                self._tasks[0].result()          # the server could not start: say why
                raise OSError(f"the simulated SMS provider could not listen on {host}:{port}")
            await asyncio.sleep(0.01)
        bound = self._server.servers[0].sockets[0].getsockname()
        self.url = f"http://{host}:{bound[1]}"
        self._tasks.append(asyncio.create_task(self._schedule(), name="sms-sim-scheduler"))
        self._tasks.extend(asyncio.create_task(self._deliver(), name=f"sms-sim-deliver-{i}") for i in range(self.config.callback_workers))
        log.info("simulated SMS provider on %s", self.url)
        return self.url

    async def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.should_exit = True
        for task in self._tasks[1:]:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def idle(self, *, within_s: float = 10.0) -> None:
        """Wait until no report or reply is waiting or on its way (tests)."""
        async with asyncio.timeout(within_s):
            while self._heap or not self._queue.empty() or self._in_flight:
                await asyncio.sleep(0.02)

    def pending_callbacks(self) -> int:
        return len(self._heap) + self._queue.qsize() + self._in_flight

    # --- sends --------------------------------------------------------------------------------------------------

    async def _fault_or_none(self) -> Response | None:
        if self.state.fault_for("http_429"):
            return JSONResponse({"code": 20429, "message": "Too Many Requests", "status": 429}, status_code=429,
                                headers={"Retry-After": f"{self.state.faults.retry_after_s:g}"})
        if self.state.fault_for("http_5xx"):
            return JSONResponse({"message": "Service Unavailable (simulated)", "status": 503}, status_code=503)
        return None

    async def _answer(self, response: Response) -> Response:
        """Answer now, or late or never when the timeout fault hits (the message is accepted all the same)."""
        if self.state.fault_for("timeout"):
            delay = self.state.faults.timeout_delay_s
            if delay is None:
                await self._closing.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._closing.wait()
        return response

    def _accepted(self, *, api: Api, key: str | None, to: str, sender: str, body: str, unicode: bool,
                  callback_url: str | None) -> tuple[SimMessage, bool]:
        message, new = self.state.accept(api=api, key=key, to=to, sender=sender, body=body, unicode=unicode,
                                         callback_url=callback_url, now_s=self.clock.now().timestamp())
        if new:
            self._plan(message)
        return message, new

    async def _twilio_send(self, request: Request) -> Response:
        self.state.stats.requests += 1
        cfg = self.config
        if request.path_params["account"] != cfg.twilio_account_sid or \
                _basic(request) != (cfg.twilio_account_sid, cfg.twilio_auth_token):
            self.state.stats.refused += 1
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        form = await request.form()
        to, sender, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        try:
            to = e164(to)
        except WebhookError:
            self.state.stats.refused += 1
            return JSONResponse({"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                                 "status": 400}, status_code=400)
        if not sender or not body:
            self.state.stats.refused += 1
            return JSONResponse({"code": 21602, "message": "Message body and From are required", "status": 400},
                                status_code=400)
        if (fault := await self._fault_or_none()) is not None:
            return fault
        message, _ = self._accepted(api="twilio", key=request.headers.get("idempotency-key"), to=to, sender=sender,
                                    body=body, unicode=not body.isascii(),
                                    callback_url=str(form.get("StatusCallback", "")) or None)
        return await self._answer(JSONResponse(
            {"sid": message.provider_message_id, "account_sid": cfg.twilio_account_sid, "to": message.to,
             "from": message.sender, "body": message.body, "status": "queued", "api_version": "2010-04-01"},
            status_code=201))

    async def _esms_send(self, request: Request) -> Response:
        self.state.stats.requests += 1
        cfg = self.config
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.state.stats.refused += 1
            return JSONResponse({"CodeResult": "110", "ErrorMessage": "the request is not JSON"})
        if (str(data.get("ApiKey", "")), str(data.get("SecretKey", ""))) != (cfg.esms_api_key, cfg.esms_secret_key):
            self.state.stats.refused += 1
            return JSONResponse({"CodeResult": "101", "ErrorMessage": "Incorrect ApiKey or SecretKey"})
        if not str(data.get("SmsType", "")):
            self.state.stats.refused += 1
            return JSONResponse({"CodeResult": "300", "ErrorMessage": "Missing message type"})
        if not str(data.get("Brandname", "")):
            self.state.stats.refused += 1
            return JSONResponse({"CodeResult": "104", "ErrorMessage": "Brandname does not exist"})
        try:
            to = e164(str(data.get("Phone", "")))
        except WebhookError:
            self.state.stats.refused += 1
            return JSONResponse({"CodeResult": "108", "ErrorMessage": "Phone number is not in correct format"})
        if (fault := await self._fault_or_none()) is not None:
            return fault
        message, new = self._accepted(api="esms", key=str(data.get("RequestId", "")) or None, to=to,
                                      sender=str(data["Brandname"]), body=str(data.get("Content", "")),
                                      unicode=str(data.get("IsUnicode", "0")) == "1",
                                      callback_url=str(data.get("CallbackUrl", "")) or None)
        if not new:
            return await self._answer(JSONResponse({"CodeResult": "124", "ErrorMessage": "Duplicate RequestId"}))
        return await self._answer(JSONResponse({"CodeResult": "100", "CountRegenerate": 0,
                                                "SMSID": message.provider_message_id}))

    async def _generic_send(self, request: Request) -> Response:
        self.state.stats.requests += 1
        if request.headers.get("authorization", "") != f"Bearer {self.config.generic_api_token}":
            self.state.stats.refused += 1
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.state.stats.refused += 1
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        try:
            to = e164(str(data.get("to", "")))
        except WebhookError as exc:
            self.state.stats.refused += 1
            return JSONResponse({"error": str(exc)}, status_code=400)
        if not data.get("body"):
            self.state.stats.refused += 1
            return JSONResponse({"error": "body is required"}, status_code=400)
        if (fault := await self._fault_or_none()) is not None:
            return fault
        key = str(data.get("idempotency_key") or request.headers.get("idempotency-key") or "") or None
        message, new = self._accepted(api="generic", key=key, to=to, sender=str(data.get("from", "")),
                                      body=str(data["body"]), unicode=bool(data.get("unicode")),
                                      callback_url=str(data.get("callback_url") or "") or None)
        return await self._answer(JSONResponse({"id": message.provider_message_id, "status": "queued"},
                                               status_code=201 if new else 200))

    # --- control ------------------------------------------------------------------------------------------------

    async def _log(self, request: Request) -> Response:
        try:
            offset = max(0, int(request.query_params.get("offset", "0")))
            limit = max(1, int(request.query_params.get("limit", "100000")))
        except ValueError:
            return JSONResponse({"error": "offset and limit are whole numbers"}, status_code=400)
        page = self.state.messages[offset: offset + limit]
        return JSONResponse({"total": len(self.state.messages), "offset": offset,
                             "messages": [m.to_json() for m in page]})

    async def _stats(self, request: Request) -> Response:
        return JSONResponse({**asdict(self.state.stats), "pending_callbacks": self.pending_callbacks()})

    async def _faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.state.faults = Faults.from_json(await request.json())
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            log.info("faults now %s", self.state.faults.to_json())
        return JSONResponse(self.state.faults.to_json())

    async def _inbound(self, request: Request) -> Response:
        """``{"api", "from", "body", "to"?, "url"?}``: the customer at ``from`` texts ``body`` now."""
        try:
            data = await request.json()
            api = data["api"]
            if api not in ("twilio", "esms", "generic"):
                raise ValueError(f"unknown api {api!r}")
            sender = e164(str(data["from"]))
            url = data.get("url") or self.inbound_urls.get(api)
            if not url:
                raise ValueError("no inbound URL: give url, or start the simulator with one for this api")
            callback = self._reply(api, url, sender=sender, to=str(data.get("to", "")), body=str(data["body"]))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        self._push(self.clock.monotonic(), callback)
        return JSONResponse({"queued": True})

    # --- reports and replies ------------------------------------------------------------------------------------

    def _plan(self, message: SimMessage) -> None:
        if not message.callback_url:
            return
        now, delay = self.clock.monotonic(), self.config.report_delay_s
        self._push(now + delay, self._report(message, "sent"))
        final = self._report(message, "undelivered" if self.state.fails(message) else "delivered")
        self._push(now + 2 * delay, final)
        if self.state.duplicate_report():
            self.state.stats.reports_duplicated += 1
            self._push(now + 2 * delay + 0.05, final)
        if self.state.replies_stop(message):
            url = self.inbound_urls.get(message.api) or inbound_url_from(message.callback_url)
            self._push(now + 2 * delay + self.config.stop_delay_s,
                       self._reply(message.api, url, sender=message.to, to=message.sender, body="STOP"))

    def _report(self, message: SimMessage, status: str) -> Callback:
        assert message.callback_url is not None
        pid = message.provider_message_id
        if message.api == "twilio":
            form = [("MessageSid", pid), ("SmsSid", pid), ("AccountSid", self.config.twilio_account_sid),
                    ("From", message.sender), ("To", message.to), ("MessageStatus", status), ("SmsStatus", status),
                    ("ApiVersion", "2010-04-01")]
            if status == "undelivered":
                form.append(("ErrorCode", "30003"))
            return Callback("twilio", "report", "POST", message.callback_url, form=tuple(form))
        if message.api == "esms":
            send_status, success, failed = {"sent": ("7", "0", "0"), "delivered": ("5", "1", "0"),
                                             "undelivered": ("5", "0", "1")}[status]
            query = (("SMSID", pid), ("SendFailed", failed), ("SendStatus", send_status), ("SendSuccess", success),
                     ("TotalPrice", "0.0000"), ("TotalReceiver", "1"), ("TotalSent", "1"),
                     ("RequestId", message.key or ""), ("TypeId", "2"), ("telcoid", "1"),
                     ("phonenumber", message.to.removeprefix("+")))
            return Callback("esms", "report", "GET", message.callback_url, query=query)
        body = {"event_id": f"{pid}:{status}", "message_id": pid, "idempotency_key": message.key, "status": status,
                "reason": "handset unreachable (simulated)" if status == "undelivered" else None}
        return Callback("generic", "report", "POST", message.callback_url, body=body)

    def _reply(self, api: Api, url: str, *, sender: str, to: str, body: str) -> Callback:
        reply_id = self.state.new_id(api)
        if api == "twilio":
            form = (("MessageSid", reply_id), ("SmsMessageSid", reply_id), ("AccountSid", self.config.twilio_account_sid),
                    ("From", sender), ("To", to), ("Body", body), ("NumMedia", "0"))
            return Callback("twilio", "reply", "POST", url, form=form)
        if api == "esms":
            received = self.clock.now().astimezone(UTC).strftime("%Y%m%d%H%M%S")
            sign = esms_mo_sign(self.config.esms_cpid, reply_id, body, received, self.config.esms_private_key)
            query = (("sender", sender.removeprefix("+")), ("content", body), ("serviceNumber", "8079"),
                     ("keyword", body.split()[0] if body.split() else ""), ("sign", sign),
                     ("cpid", self.config.esms_cpid), ("smsid", reply_id), ("receiverTime", received))
            return Callback("esms", "reply", "GET", url, query=query)
        return Callback("generic", "reply", "POST", url,
                        body={"message_id": reply_id, "from": sender, "to": to, "body": body})

    def _push(self, due: float, callback: Callback) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), callback))
        self._wake.set()

    async def _schedule(self) -> None:
        """Move each callback to the delivery queue when it is due."""
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            due = self._heap[0][0]
            if due > self.clock.monotonic():
                self._wake.clear()
                await _first(self.clock.sleep_until(due), self._wake.wait())
                continue
            _, _, callback = heapq.heappop(self._heap)
            self._queue.put_nowait(callback)

    async def _deliver(self) -> None:
        while True:
            callback = await self._queue.get()
            self._in_flight += 1
            try:
                await self._send(callback)
            except Exception:          # a worker never dies of one callback
                log.exception("callback to %s failed", callback.url)
            finally:
                self._in_flight -= 1

    async def _send(self, callback: Callback) -> None:
        assert self._client is not None
        stats = self.state.stats
        for attempt in range(self.config.callback_attempts):
            try:
                response = await self._client.request(**self._request_of(callback))
            except httpx.HTTPError as exc:
                log.warning("%s to %s: %s (attempt %d)", callback.what, callback.url, type(exc).__name__, attempt + 1)
            else:
                stats.callback_statuses[str(response.status_code)] = \
                    stats.callback_statuses.get(str(response.status_code), 0) + 1
                if response.status_code < 500:
                    if callback.what == "report":
                        stats.reports_sent += 1
                    else:
                        stats.replies_sent += 1
                    return
            await self.clock.sleep(0.2 * 2 ** attempt)
        stats.callbacks_failed += 1

    def _request_of(self, callback: Callback) -> dict[str, Any]:
        if callback.api == "twilio":
            signature = twilio_signature(self.config.twilio_auth_token, callback.url, callback.form)
            return {"method": "POST", "url": callback.url, "data": dict(callback.form),
                    "headers": {"X-Twilio-Signature": signature}}
        if callback.api == "esms":
            return {"method": "GET", "url": _with_query(callback.url, callback.query)}
        raw = json.dumps(callback.body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json",
                   **hmac_headers(self.config.webhook_secret, raw, now_s=self.clock.now().timestamp())}
        return {"method": "POST", "url": callback.url, "content": raw, "headers": headers}


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


async def _first(*awaitables: Awaitable[Any]) -> None:
    """Wait for the first of ``awaitables``; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def sim_provider_settings(sim_url: str, config: SimConfig, *, callback_base_url: str | None,
                          prefix: str = "sim") -> list[dict[str, Any]]:
    """``DIALER_SMS_PROVIDERS`` entries for a simulator at ``sim_url``: ``sim`` (generic), ``sim-twilio`` and
    ``sim-esms``, with the simulator's credentials."""
    common = {"base_url": sim_url, "callback_base_url": callback_base_url}
    return [
        {"name": prefix, "kind": "generic", "sender": "DIALER", **common,
         "credentials": {"api_token": config.generic_api_token, "webhook_secret": config.webhook_secret}},
        {"name": f"{prefix}-twilio", "kind": "twilio", "sender": "+15005550006", "deduplicates": True, **common,
         "credentials": {"account_sid": config.twilio_account_sid, "auth_token": config.twilio_auth_token}},
        {"name": f"{prefix}-esms", "kind": "esms", "sender": "DIALER", **common,
         "credentials": {"api_key": config.esms_api_key, "secret_key": config.esms_secret_key,
                         "callback_token": config.webhook_secret, "cpid": config.esms_cpid,
                         "private_key": config.esms_private_key}},
    ]


