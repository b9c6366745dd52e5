"""The people of a coordination cell at work, for ``locust`` (driven by ``run.py``).

Browser users log in through the real log-in form (CSRF token from the page) and then read
dashboards, filtered lists and details, edit pledges through the edit form (carrying the form's
``version``: a 409 for a stale version is a correct answer, counted apart), record shipment events
on the shipment page or as a hub's batch to ``/logistics/events/bulk``, and export lists as CSV or
XLSX. API clients (a donor's stock system, the recipient's requirements tool, an auditor's and a
coordinator's scripts) use bearer tokens made with ``coordcell token create``; the donor's system
PATCHes pledges with the version it read.

Every request is named "<kind> <what>", kind one of: page, api, write, export, login. Each
simulated person thinks between actions (LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds, default 2..8), and
between opening a form and saving it (1..3 s). Inputs from the environment: LOAD_PLAN (the JSON
written by ``prepare.py run``), LOAD_SAMPLES (where every request's kind, time and outcome are
written when the test stops), LOAD_PASSWORD.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import time
from html.parser import HTMLParser
from typing import Any

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN: dict[str, Any] = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115
PASSWORD = os.environ.get("LOAD_PASSWORD", "coordcell-demo")
WAIT = (float(os.environ.get("LOAD_WAIT_MIN", "2")), float(os.environ.get("LOAD_WAIT_MAX", "8")))
FILL_IN = (1.0, 3.0)  # seconds between opening a form and saving it
SAMPLES: list[tuple[float, str, str, float, int, str]] = []
ERRORS: list[str] = []  # the first few error answers, to tell what went wrong
MARKS: dict[str, float] = {"start": time.time()}
_NEXT_ACCOUNT = {role: itertools.count() for role in PLAN["accounts"]}


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_kw: Any) -> None:
    MARKS.setdefault("spawned", time.time())


def _dump(**_kw: Any) -> None:
    path = os.environ.get("LOAD_SAMPLES")
    if path and SAMPLES:
        MARKS["stop"] = time.time()
        with open(path, "w") as out:
            json.dump({"marks": MARKS, "samples": SAMPLES, "errors": ERRORS}, out)


events.test_stop.add_listener(_dump)
events.quitting.add_listener(_dump)


class FormParser(HTMLParser):
    """The fields of the HTML forms on a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: tuple[str, bool] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "fields": []}
            )
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.forms[-1]["fields"].append(
                (a["name"], a.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], "multiple" in a)
            self.forms[-1]["_first"] = None
        elif tag == "option" and self._select:
            if self.forms[-1].get("_first") is None:
                self.forms[-1]["_first"] = a.get("value", "")
            if "selected" in a:
                self.forms[-1]["fields"].append((self._select[0], a.get("value", "")))
                self.forms[-1]["_chosen"] = True
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["fields"].append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            form = self.forms[-1]
            if not self._select[1] and not form.pop("_chosen", False):
                form["fields"].append((self._select[0], form.get("_first") or ""))
            form.pop("_chosen", None)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data.lstrip("\n"))


def post_forms(html: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f["method"].lower() == "post"]


def csrf_token(html: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    at = html.find(marker)
    return html[at + len(marker) : html.index('"', at + len(marker))] if at >= 0 else ""


def serial_map(shipment: dict[str, Any]) -> dict[str, list[str]]:
    """The serial numbers of each serial-numbered line (as prepare.serials() makes them)."""
    ref = shipment["reference"]
    return {
        str(line_id): [f"{ref}-{line_id}-{k:04d}" for k in range(1, quantity + 1)]
        for line_id, quantity in shipment["serial_lines"]
    }


def event_serials(shipment: dict[str, Any], status: str) -> Any:
    """The manifest before departure (per line when several lines have one); the serials found
    at the hub's and at the handover's check; nothing otherwise."""
    manifest = serial_map(shipment)
    if not manifest or status not in ("ready_at_origin", "at_hub", "handed_over"):
        return None
    if status == "ready_at_origin" and len(manifest) > 1:
        return manifest
    return [serial for found in manifest.values() for serial in found]


class Person(FastHttpUser):
    """Someone of one role, with an account of their own."""

    abstract = True
    role = ""
    wait_time = between(*WAIT)
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        pool = PLAN["accounts"][self.role]
        self.account = pool[next(_NEXT_ACCOUNT[self.role]) % len(pool)]
        self.username = self.account["username"]
        self.nation = self.account["nation"]
        self.work = list(PLAN["work"].get(self.username, []))
        self.csrf = ""

    # -- one request, recorded with its kind and outcome -------------------------------------
    def call(
        self,
        kind: str,
        what: str,
        method: str,
        url: str,
        *,
        ok: tuple[int, ...] = (200,),
        conflict: tuple[int, ...] = (),
        check: Any = None,
        **kwargs: Any,
    ) -> Any:
        with self.client.request(
            method,
            url,
            name=f"{kind} {what}",
            catch_response=True,
            allow_redirects=False,
            **kwargs,
        ) as response:
            status = response.status_code or 0
            problem = check(response) if check is not None and status in ok else None
            if problem:
                outcome = "error"
                response.failure(problem)
            elif status in ok:
                outcome = "ok"
                response.success()
            elif status in conflict:
                outcome = "conflict"
                response.success()
            else:
                outcome = "error"
                problem = f"{status} {(response.text or '')[:300]!r}"
                response.failure(problem)
            if outcome == "error" and len(ERRORS) < 50:
                ERRORS.append(f"{kind} {what}: {problem}")
            ms = response.request_meta["response_time"]
        SAMPLES.append((time.time(), kind, what, ms, status, outcome))
        if outcome == "ok" and kind in ("page", "login") and response.text:
            self.csrf = csrf_token(response.text) or self.csrf
        return response if outcome != "error" else None

    def page(self, what: str, url: str, *, htmx: bool = False) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.call("page", what, "GET", url, headers=headers)

    def export(self, what: str, url: str) -> Any:
        return self.call("export", what, "GET", url)

    def pick(self, ids: list[int]) -> int:
        return random.choice(ids)

    def fill_in(self) -> None:
        gevent.sleep(random.uniform(*FILL_IN))


class Browser(Person):
    """A member of staff in a browser: logs in through the form, then works on pages."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        form = self.call("login", "form", "GET", "/login/")
        token = csrf_token(form.text) if form is not None else ""
        self.call(
            "login",
            "post",
            "POST",
            "/login/",
            ok=(302,),
            data=f"csrfmiddlewaretoken={token}&username={self.username}&password={PASSWORD}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.csrf = ""  # the log-in rotates the CSRF secret: the next page gives the new token

    # -- writes shared by roles -------------------------------------------------------------
    def edit_pledge(self, pledge_id: int) -> None:
        """Open the pledge's edit form, change the quantity, save with the form's version."""
        response = self.page("pledge edit form", f"/pledges/{pledge_id}/edit/")
        if response is None:
            return
        forms = [f for f in post_forms(response.text) if "version" in dict(f["fields"])]
        if not forms:
            return
        fields = [(k, v) for k, v in forms[0]["fields"]]
        out = []
        for name, value in fields:
            if name == "quantity":
                value = str(int(value or "0") + random.randint(1, 20))
            out.append((name, value))
        self.fill_in()
        self.call(
            "write",
            "pledge edit (form)",
            "POST",
            f"/pledges/{pledge_id}/edit/",
            ok=(302,),
            conflict=(409,),
            data=_urlencode(out),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def record_event_on_page(self, next_status: dict[str, str]) -> bool:
        """Open one of my shipments, record its next status with the page's form."""
        while self.work:
            shipment = self.work[0]
            status = next_status.get(shipment["status"])
            if status is None:
                self.work.pop(0)
                continue
            if isinstance(event_serials(shipment, status), dict):
                # The page's form takes one list of serials: a manifest per line goes in a feed.
                self.record_events_bulk([shipment], next_status, "depot event (bulk)")
                return True
            response = self.page("shipment detail", f"/logistics/shipments/{shipment['id']}/")
            if response is None:
                self.work.pop(0)
                return False
            signed = status in ("handed_over", "received")
            data = [
                ("csrfmiddlewaretoken", csrf_token(response.text)),
                ("status", status),
                ("occurred_at", ""),
                ("quantity", str(shipment["quantity"]) if signed else ""),
                ("lines", ""),
                ("serials", "\n".join(event_serials(shipment, status) or [])),
                ("note", "load test"),
            ]
            if signed:
                data += [("handed_over_by", "Sgt. Weber"), ("taken_over_by", "Capt. Kovalenko")]
            self.fill_in()
            done = self.call(
                "write",
                "shipment event (form)",
                "POST",
                f"/logistics/shipments/{shipment['id']}/event/",
                ok=(302,),
                data=_urlencode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            shipment["status"] = status
            if done is None or status not in next_status:
                self.work.pop(0)
            return True
        return False

    def record_events_bulk(
        self, batch: list[dict[str, Any]], next_status: dict[str, str], what: str
    ) -> None:
        """Each shipment's next status, in one POST to /logistics/events/bulk (session, CSRF)."""
        if not self.csrf:
            self.page("dashboard", "/")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        events = []
        for s in batch:
            status = next_status[s["status"]]
            event: dict[str, Any] = {
                "id": f"load-{s['reference']}-{status}-{random.getrandbits(32)}",
                "shipment": s["reference"],
                "status": status,
                "occurred_at": now,
            }
            serials = event_serials(s, status)
            if serials:
                event["serials"] = serials
            events.append(event)
        done = self.call(
            "write",
            what,
            "POST",
            "/logistics/events/bulk",
            data=json.dumps({"events": events}),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
            check=_rejected,
        )
        for s in batch:
            s["status"] = next_status[s["status"]] if done is not None else "given up"
        self.work = [s for s in self.work if s["status"] in next_status]

    # -- reads shared by roles --------------------------------------------------------------
    def pledge_list(self) -> None:
        status = random.choice(["confirmed", "offered", "confirmed"])
        domain = random.choice(PLAN["domains"])
        page = random.choice([1, 1, 1, 2, 3])
        self.page(
            "pledge list (filtered)",
            f"/pledges/?status={status}&domain={domain}&page={page}",
            htmx=random.random() < 0.5,
        )

    def requirement_list(self) -> None:
        priority = random.choice([1, 1, 2, 3])
        domain = random.choice(PLAN["domains"])
        self.page(
            "requirement list (filtered)",
            f"/requirements/?status=open&priority={priority}&domain={domain}&sort=need_by",
            htmx=random.random() < 0.5,
        )

    def requirement_detail(self) -> None:
        self.page("requirement detail", f"/requirements/{self.pick(PLAN['requirements'])}/")

    def shipment_list(self) -> None:
        status = random.choice(["", "planned", "departed", "at_hub", "handed_over", "received"])
        self.page("shipment list", f"/logistics/?status={status}")


class Coordinator(Browser):
    role = "coordinator"
    weight = 14

    @task(10)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(8)
    def lists(self) -> None:
        random.choice([self.pledge_list, self.requirement_list, self.shipment_list])()

    @task(8)
    def details(self) -> None:
        choice = random.random()
        if choice < 0.4:
            self.page("pledge detail", f"/pledges/{self.pick(PLAN['pledges']['all']['read'])}/")
        elif choice < 0.7:
            self.requirement_detail()
        else:
            self.page("shipment detail", f"/logistics/shipments/{self.pick(PLAN['shipments'])}/")

    @task(3)
    def delays(self) -> None:
        self.page("late shipments", "/logistics/delays/")

    @task(2)
    def reports(self) -> None:
        self.page("reports", "/reports/")

    @task(6)
    def edit_pledge_task(self) -> None:
        self.edit_pledge(self.pick(PLAN["pledges"]["all"]["edit"]))

    @task(14)
    def hub_feed(self) -> None:
        """A hub's batch of arrivals and departures, as the hub's system sends it."""
        nxt = {"departed": "at_hub", "at_hub": "departed_hub"}
        batch = [s for s in self.work if s["status"] in nxt][: random.randint(2, 5)]
        if not batch:
            self.dashboard()
            return
        self.record_events_bulk(batch, nxt, "hub event batch (bulk)")

    @task(6)
    def export_requirements(self) -> None:
        domain = random.choice(PLAN["domains"])
        fmt = random.choice(["csv", "xlsx"])
        self.export(
            f"requirements {fmt}",
            f"/export/requirements/?format={fmt}&status=open&priority=1&domain={domain}",
        )


class DonorLiaison(Browser):
    role = "donor_liaison"
    weight = 26

    def own(self, key: str) -> list[int]:
        return PLAN["pledges"][self.nation][key]

    @task(8)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(8)
    def lists(self) -> None:
        random.choice([self.pledge_list, self.shipment_list, self.requirement_list])()

    @task(6)
    def details(self) -> None:
        if random.random() < 0.6:
            self.page("pledge detail", f"/pledges/{self.pick(self.own('read'))}/")
        else:
            self.page(
                "shipment detail",
                f"/logistics/shipments/{self.pick(PLAN['donor_shipments'][self.nation])}/",
            )

    @task(2)
    def late(self) -> None:
        self.page("own late shipments", f"/logistics/donors/{self.nation}/late/")

    @task(1)
    def committed(self) -> None:
        self.page("committed allocations", "/allocation/committed/")

    @task(10)
    def edit_pledge_task(self) -> None:
        self.edit_pledge(self.pick(self.own("edit")))

    @task(12)
    def ship(self) -> None:
        nxt = {"planned": "ready_at_origin", "ready_at_origin": "departed"}
        if not self.record_event_on_page(nxt):
            self.edit_pledge(self.pick(self.own("edit")))

    @task(6)
    def export_pledges(self) -> None:
        fmt = random.choice(["csv", "xlsx"])
        domain = random.choice(PLAN["domains"])
        self.export(f"pledges {fmt}", f"/export/pledges/?format={fmt}&domain={domain}")


class RecipientLiaison(Browser):
    role = "recipient_liaison"
    weight = 10

    @task(8)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(8)
    def lists(self) -> None:
        if random.random() < 0.5:
            self.requirement_list()
        else:
            self.page("shipment list", "/logistics/?status=handed_over")

    @task(5)
    def details(self) -> None:
        if random.random() < 0.5:
            self.requirement_detail()
        else:
            self.page("pledge detail", f"/pledges/{self.pick(PLAN['confirmed_pledges'])}/")

    @task(2)
    def readiness(self) -> None:
        self.page("readiness", "/readiness/")

    @task(2)
    def arriving(self) -> None:
        self.page("arriving this week", "/reports/lists/arriving-this-week/")

    @task(16)
    def receive(self) -> None:
        nxt = {"departed_hub": "handed_over", "handed_over": "received"}
        if not self.record_event_on_page(nxt):
            self.dashboard()

    @task(3)
    def export_requirements(self) -> None:
        domain = random.choice(PLAN["domains"])
        self.export(
            "requirements csv", f"/export/requirements/?format=csv&priority=1&domain={domain}"
        )


class TrainingSiteOfficer(Browser):
    role = "training_site_officer"
    weight = 8

    @task(6)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(6)
    def sessions(self) -> None:
        self.page("session list", "/training/sessions/?sort=start_date", htmx=random.random() < 0.5)

    @task(3)
    def cohorts(self) -> None:
        self.page("cohort list", "/training/cohorts/")

    @task(2)
    def courses(self) -> None:
        self.page("course list", "/training/courses/")


class Auditor(Browser):
    role = "auditor"
    weight = 7

    @task(5)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(6)
    def trail(self) -> None:
        choice = random.random()
        if choice < 0.4:
            self.page("audit trail", "/audit/")
        elif choice < 0.7:
            self.page("audit trail (filtered)", "/audit/?target_type=pledges.pledge&verb=update")
        else:
            pledge = self.pick(PLAN["pledges"]["all"]["read"])
            self.page(
                "audit trail (filtered)",
                f"/audit/?target_type=pledges.pledge&target_id={pledge}",
            )

    @task(6)
    def lists(self) -> None:
        random.choice([self.pledge_list, self.requirement_list, self.shipment_list])()

    @task(4)
    def details(self) -> None:
        self.page("pledge detail", f"/pledges/{self.pick(PLAN['pledges']['all']['read'])}/")

    @task(2)
    def reports(self) -> None:
        self.page("reports", "/reports/")

    @task(6)
    def export_pledges(self) -> None:
        fmt = random.choice(["csv", "xlsx"])
        donor = PLAN["nation_ids"][random.choice(list(PLAN["nation_ids"]))]
        domain = random.choice(PLAN["domains"])
        self.export(
            f"pledges {fmt}", f"/export/pledges/?format={fmt}&donor={donor}&domain={domain}"
        )


class ApiClient(Person):
    """A program with a personal bearer token (``coordcell token create``)."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.headers = {"Authorization": f"Bearer {self.account['token']}"}

    def api(self, what: str, url: str) -> Any:
        return self.call("api", what, "GET", "/api/v1/" + url, headers=self.headers)


class DonorStockSystem(ApiClient):
    role = "donor_liaison"
    weight = 14

    @task(3)
    def list_pledges(self) -> None:
        status = random.choice(["confirmed", "offered"])
        self.api(
            "pledge list",
            f"pledges?status={status}&ordering=-available_from&page={random.randint(1, 5)}",
        )

    @task(3)
    def read_pledge(self) -> None:
        self.api("pledge detail", f"pledges/{self.pick(PLAN['pledges'][self.nation]['read'])}")

    @task(14)
    def update_pledge(self) -> None:
        pledge_id = self.pick(PLAN["pledges"][self.nation]["edit"])
        response = self.api("pledge detail", f"pledges/{pledge_id}")
        if response is None:
            return
        body = response.json()
        self.fill_in()
        self.call(
            "write",
            "pledge update (API PATCH)",
            "PATCH",
            f"/api/v1/pledges/{pledge_id}",
            conflict=(409,),
            data=json.dumps({"version": body["version"], "quantity": body["quantity"] + 1}),
            headers={**self.headers, "Content-Type": "application/json"},
        )


class RecipientTool(ApiClient):
    role = "recipient_liaison"
    weight = 8

    @task(5)
    def list_requirements(self) -> None:
        priority = random.choice([1, 2, 3])
        self.api(
            "requirement list",
            f"requirements?priority={priority}&status=open&page={random.randint(1, 5)}",
        )

    @task(5)
    def read_requirement(self) -> None:
        self.api("requirement detail", f"requirements/{self.pick(PLAN['requirements'])}")

    @task(3)
    def confirmed_pledges(self) -> None:
        domain = random.choice(PLAN["domains"])
        self.api("pledge list", f"pledges?domain={domain}&page_size=100")


class AuditorScript(ApiClient):
    role = "auditor"
    weight = 7

    @task(4)
    def recent_events(self) -> None:
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.api("audit event list", f"audit-events?after={since}&page_size=100")

    @task(4)
    def one_event(self) -> None:
        self.api("audit event detail", f"audit-events/{random.randint(1, PLAN['audit_seq'])}")

    @task(2)
    def pledges(self) -> None:
        donor = random.choice(list(PLAN["nation_ids"]))
        self.api("pledge list", f"pledges?donor={PLAN['nation_ids'][donor]}&page_size=100")


class CoordinatorScript(ApiClient):
    role = "coordinator"
    weight = 6

    @task(4)
    def requirements(self) -> None:
        domain = random.choice(PLAN["domains"])
        self.api("requirement list", f"requirements?domain={domain}&status=open&ordering=need_by")

    @task(4)
    def pledges(self) -> None:
        self.api("pledge list", f"pledges?status=offered&page={random.randint(1, 5)}")

    @task(2)
    def reference_data(self) -> None:
        self.api(
            "reference list",
            random.choice(["locations", "categories", "capabilities", "nations", "me"]),
        )


def _rejected(response: Any) -> str | None:
    """A feed answers 200 with the events it refused: any refusal is an error here."""
    rejected = json.loads(response.text or "{}").get("rejected")
    return f"rejected: {rejected[:2]}" if rejected else None


def _urlencode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)
