"""The crawl of one viewer: links from the home page, the URL conf, the API schema, the exports and
the briefing. Every answer goes through checks.Inspector; requests are counted per kind.

Bounds, so that seven viewers stay well under two minutes: links are followed breadth-first, but
at most PER_SHAPE URLs per shape (kind, view, with a query string or not: two detail pages of a
register, two filtered or sorted or later pages of a list); each URL pattern is filled with the
sampled ids (samples.py: a record of each nation and visibility class, payload records); API
lists are read on their first two pages.
"""

from __future__ import annotations

import html
import re
import time
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from .checks import Inspector
from .rules import Viewer

KINDS = ("page", "fragment", "api", "export", "pdf", "xlsx", "write-error")
# URLs per shape: (kind, view, with a query string or not).
PER_SHAPE = {"page": 2, "fragment": 2, "api": 2, "export": 2}
LINK_RE = re.compile(r'\b(?:href|hx-get|src)="([^"#]*)"')
HX_RE = re.compile(r'\bhx-get="([^"#]*)"')
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ATTR_RE = re.compile(r'\b([\w-]+)="([^"]*)"')
INPUT_RE = re.compile(r"<input\b([^>]*)>")
SELECT_RE = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION_VALUE_RE = re.compile(r'<option\b[^>]*value="([^"]*)"')
NOT_CRAWLED = ("/static/", "/media/", "/admin/", "/logout/", "/i18n/")
# Views that only answer POST: their answers are the write probes'.
POST_ONLY = {
    "logistics:event",
    "logistics:discrepancy",
    "discrepancies:act",
    "logistics:change",
    "logistics:events-bulk",
    "allocation:discard",
    "readiness:recompute",
    "api-token-revoke",
    "api-allocation-runs-commit",
    "api-allocation-runs-discard",
    "api-allocation-runs-what-if",
    "api-shipments-split",
    "api-shipments-merge",
    "api-shipments-reroute",
    "api-shipments-cancel",
    "api-discrepancies-investigate",
    "api-discrepancies-resolve",
    "api-discrepancies-reassign",
    "api-discrepancies-due",
    "api-shipments-discrepancies",
    "api-notifications-read",
    "api-notifications-read-all",
    "api-inventory-checks",
}
# Patterns whose values are not database ids: where the crawl takes them from.
# An upload of the browser's own user, and its runs' files.
SESSION_BOUND = {"import-review", "import-file", "import-run-file"}
FILLED_ELSEWHERE = {"export-list"}  # Crawl.exports() asks for every register in each format


def view_names() -> set[str]:
    """Every view of the URL conf but the admin's."""
    patterns = get_resolver().url_patterns
    return {name for route, name, _p in walk(patterns) if not route.startswith("admin/")}


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield prefix + str(pattern.pattern), name, pattern


def pattern_model(name: str, pattern: Any) -> str | None:
    """The model whose ids fill a pattern's ``pk``: a register's, or from the table below."""
    register = pattern.default_args.get("register")
    resource = getattr(getattr(pattern.callback, "cls", None), "resource", None)
    if register is None and resource is not None:
        register = resource.register
    if register is not None:
        return str(register.model._meta.label_lower)
    return {
        "allocation:detail": "allocation.allocationrun",
        "allocation:compare": "allocation.allocationrun",
        "allocation:instance": "allocation.allocationrun",
        "allocation:commit": "allocation.allocationrun",  # the commit confirmation (GET)
        "allocation:whatif": "allocation.allocationrun",  # the what-if form (GET)
        "logistics:detail": "logistics.shipment",
        "logistics:load": "logistics.shipment",  # the load a shipment travels in
        "logistics:hub": "hub",
        "hub-capacity:hub": "hub",
        "hub-capacity:edit": "registry.hubcapacity",
        "hub-capacity:delete": "registry.hubcapacity",
        "logistics:photo": "logistics.discrepancyphoto",
        "discrepancies:detail": "logistics.discrepancy",
        "training:run": "training.schedulerun",
        "training-sessions:attendance": "training.session",
        "training-sessions:cancel": "training.session",
        "readiness:detail": "readiness.capabilitypackage",
        "readiness:edit": "readiness.capabilitypackage",
        "requirements:cancel": "requirements.requirement",
        "pledges:delivered": "pledges.pledge",
        "api-audit-events-detail": "audit.auditevent",
        **{
            f"api-allocation-runs-{n}": "allocation.allocationrun"
            for n in ("detail", "lines", "shortfalls", "compare")
        },
        **{
            f"api-schedule-runs-{n}": "training.schedulerun"
            for n in ("detail", "outcomes", "bookings")
        },
        "api-shipments-detail": "logistics.shipment",
        "api-discrepancies-detail": "logistics.discrepancy",
        "api-serial-items-detail": "logistics.serialitem",
        "api-hub-capacities-detail": "registry.hubcapacity",
        "api-notifications-detail": "notifications.notification",
        **{
            f"api-capability-packages-{n}": "readiness.capabilitypackage"
            for n in ("detail", "history")
        },
        "api-pledge-deliveries-detail": "pledges.pledgedelivery",
    }.get(name)


def view_name(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


def kind_of(url: str, kind: str) -> str:
    path = urlsplit(url).path
    if path.startswith("/export/"):
        return "export"
    if path.startswith("/api/v1/"):
        return "api"
    if path.endswith(".pdf"):
        return "pdf"
    if path.endswith(".xlsx"):
        return "xlsx"
    return kind


class Crawl:
    def __init__(
        self, viewer: Viewer, user: Any, inspector: Inspector, samples: dict[str, list[Any]]
    ):
        self.viewer, self.inspector, self.samples = viewer, inspector, samples
        self.client = Client(raise_request_exception=False)
        if user is not None:
            self.client.force_login(user)
        self.counts: Counter[str] = Counter()
        self.shapes: Counter[tuple[str, str, bool]] = Counter()
        self.cost: Counter[str] = Counter()  # seconds per view, to see where the time goes
        self.done: set[tuple[str, str]] = set()
        self.queue: deque[str] = deque()
        self.seconds = 0.0
        self.unfilled: set[str] = set()  # patterns with parameters the crawl had no value for
        self.answered: set[str] = set()  # views that answered 2xx

    # ---- requests ----

    def fetch(
        self,
        url: str,
        kind: str,
        *,
        method: str = "get",
        data: Any = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        echo: tuple[str, ...] = (),
        keep: bool = False,
    ) -> tuple[Any, str]:
        """One request, in a savepoint rolled back after it (unless ``keep`` and it did not fail):
        the crawl changes nothing, and on PostgreSQL a database error in one answer does not
        abort the transaction every later request runs in."""
        began = time.perf_counter()
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if content_type is not None:
            kwargs["content_type"] = content_type
        query = tuple(v for _k, v in parse_qsl(urlsplit(url).query))
        with transaction.atomic():
            response = getattr(self.client, method)(url, data, **kwargs)
            self.counts[kind] += 1
            text = self.inspector.check(self.viewer, kind, url, response, (*echo, *query))
            if not keep or response.status_code >= 500:
                transaction.set_rollback(True)
        spent = time.perf_counter() - began
        self.seconds += spent
        name = view_name(urlsplit(url).path)
        self.cost[name] += spent
        if response.status_code < 300:
            self.answered.add(name)
        return response, text

    def get(self, url: str, kind: str, headers: dict[str, str] | None = None) -> Any:
        if (url, kind) in self.done:
            return None
        self.done.add((url, kind))
        response, text = self.fetch(url, kind, headers=headers)
        if kind in ("page", "fragment") and "html" in response.get("Content-Type", ""):
            self._links(url, text)
        if response.status_code in (301, 302) and kind == "page":
            self._admit(urljoin(url, response["Location"]), "page")
        return response

    def _admit(self, url: str, kind: str) -> None:
        parts = urlsplit(html.unescape(url))
        if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
            return
        if parts.path.startswith(NOT_CRAWLED) or (self.viewer.role and parts.path == "/login/"):
            return
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        kind = kind_of(url, kind)
        if (url, kind) in self.done:
            return
        key = (kind, view_name(parts.path), bool(parts.query))
        if self.shapes[key] >= PER_SHAPE.get(kind, 1):
            return
        self.shapes[key] += 1
        self.queue.append(f"{kind} {url}")

    def _links(self, base: str, text: str) -> None:
        for link in LINK_RE.findall(text):
            self._admit(urljoin(base, html.unescape(link)), "page")
        for link in HX_RE.findall(text):
            self._admit(urljoin(base, html.unescape(link)), "fragment")
        for attrs, body in FORM_RE.findall(text):
            self._form(base, dict(ATTR_RE.findall(attrs)), body)

    def _form(self, base: str, attrs: dict[str, str], body: str) -> None:
        """A GET form (list filters, the reports scope): submitted with its defaults, then with
        each choice list set to its first and its last choice."""
        if attrs.get("method", "get").lower() != "get":
            return
        action = urljoin(base, html.unescape(attrs.get("hx-get") or attrs.get("action") or base))
        fields = {}
        for input_attrs in INPUT_RE.findall(body):
            a = dict(ATTR_RE.findall(input_attrs))
            if a.get("name") and a.get("type") not in ("submit", "checkbox"):
                fields[a["name"]] = html.unescape(a.get("value", ""))
        choices = {}
        for select_attrs, options in SELECT_RE.findall(body):
            name = dict(ATTR_RE.findall(select_attrs)).get("name")
            values = [html.unescape(v) for v in OPTION_VALUE_RE.findall(options) if v]
            if name and values:
                choices[name] = values
        kind = "fragment" if "hx-get" in attrs else "page"
        variants = [
            {**fields},
            {**fields, **{name: values[-1] for name, values in choices.items()}},
        ]
        for variant in variants:
            query = urlencode({k: v for k, v in variant.items() if v})
            self._admit(f"{urlsplit(action).path}?{query}" if query else action, kind)

    def drain(self) -> None:
        while self.queue:
            kind, url = self.queue.popleft().split(" ", 1)
            headers = {"HX-Request": "true"} if kind == "fragment" else None
            self.get(url, kind, headers)

    # ---- what the crawl visits ----

    def links(self) -> None:
        self.queue.append("page /")
        self.drain()

    def url_conf(self) -> None:
        """Every pattern, its parameters filled with the sampled ids of each nation's records."""
        for route, name, pattern in walk(get_resolver().url_patterns):
            path = "/" + route.replace("^", "").replace("$", "")
            if path.startswith(NOT_CRAWLED) or name in POST_ONLY or name in SESSION_BOUND:
                continue
            if name in ("logout", "set_language", "api-schema"):
                continue
            kind = "api" if path.startswith("/api/v1/") else "page"
            params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", path)
            if not params:
                self._admit(path, kind)
                continue
            names = [a or b for a, b in params]
            values_list = self._values(name, pattern, names)
            if not values_list and name not in FILLED_ELSEWHERE:
                self.unfilled.add(f"{route} ({name})")
            for values in values_list:
                url = path
                for value in values:
                    url = re.sub(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)", str(value), url, count=1)
                self._queue_direct(url, kind)
        self.drain()

    def _queue_direct(self, url: str, kind: str) -> None:
        if (url, kind) not in self.done:
            self.queue.append(f"{kind} {url}")

    def _values(self, name: str, pattern: Any, names: list[str]) -> list[tuple[Any, ...]]:
        if name == "api-not-found":
            return [("nothing-here",)]
        if name == "logistics:donor-delays":
            return [(code,) for code in ("DE", "PL", "US")]
        if name == "reports:list":
            return [(slug,) for slug in self.samples["drill lists"]]
        if name == "export-list":
            return []  # exports() asks for each format
        if name == "allocation:line-edit":
            return self.samples["allocation lines"]
        if name == "api-discrepancies-photo":
            return self.samples["discrepancy photos"]
        model = pattern_model(name, pattern)
        ids = self.samples.get(model or "", [])
        if name.endswith((":edit", ":delete")):
            ids = ids[:3]
        return [(pk,) for pk in ids]

    def api(self) -> None:
        """Every GET operation of the OpenAPI schema: lists (two pages) and details (the sample)."""
        response, _text = self.fetch("/api/v1/schema?format=json", "api")
        if response.status_code != 200:
            return
        import json

        schema = json.loads(response.content)
        for path, operations in schema.get("paths", {}).items():
            if "get" not in operations:
                continue
            if "{" not in path:
                self._queue_direct(path, "api")
                params = {p["name"] for p in operations["get"].get("parameters", [])}
                if "page" in params:
                    self._queue_direct(f"{path}?page=2", "api")
                continue
            slug = path.split("/")[3]
            model = self.samples["api models"].get(slug)
            for pk in self.samples.get(model or "", []):
                self._queue_direct(re.sub(r"\{\w+\}", str(pk), path), "api")
        self.drain()

    def exports(self) -> None:
        for slug in self.samples["register slugs"]:
            for fmt in ("csv", "xlsx"):
                self.get(f"/export/{slug}/?format={fmt}", "export")

    def briefing(self) -> None:
        """The briefing and the reports page: unscoped, and scoped to another donor (which a
        donor's own scope overrides) and a coalition whose name holds markup."""
        for query, logins in self.samples["scopes"].items():
            if logins is not None and self.viewer.login not in logins:
                continue
            self.get(f"/reports/briefing.pdf{query}", "pdf")
            self.get(f"/reports/briefing.xlsx{query}", "xlsx")
            self.get(f"/reports/{query}", "page")
            self.get(f"/reports/{query}", "fragment", {"HX-Request": "true"})
