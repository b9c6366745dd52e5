"""Helpers of the page sweeps: screenshots at both sizes, axe-core's findings, the phone's width,
and a tally of clicks and form posts for the task tests.

axe-core is vendored in tests/e2e/vendor/axe/ (see coordcell/static/vendor/README.txt): the
application never serves it. Playwright injects it as an init script, which the pages' CSP
(script-src 'self') does not apply to.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TABLETS = ({"width": 820, "height": 1180}, {"width": 1024, "height": 768})  # upright, on its side
SIZES = (("1280x800", DESKTOP), ("390x844", PHONE))
IMPACTS = ("critical", "serious", "moderate", "minor")
# What the sweeps and tallies found, printed at the end of the run (conftest's terminal summary)
# and kept in test-artifacts/browser-report.txt.
REPORT: list[str] = []
REPORT_FILE = SCREENSHOTS.parent / "browser-report.txt"
BLOCKING = {"critical", "serious"}

# axe.run on the whole document; results are violations only (the passes are thousands of nodes).
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""

# What sticks out past the phone's right edge: the innermost such elements, to say what to fix.
_WIDEST = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && ![...el.children].some(
        c => c.getBoundingClientRect().right > window.innerWidth + 1)) {
      const cls = el.className ? "." + String(el.className).split(" ").join(".") : "";
      out.push(el.tagName.toLowerCase() + cls + " " + Math.round(r.right) + "px");
    }
    if (out.length >= 3) break;
  }
  return out.join("; ");
}"""


def with_axe(session: Any) -> Any:
    """Every page this session opens from now on carries axe-core."""
    session.context.add_init_script(path=str(AXE))
    return session


def page_name(path: str) -> str:
    """'/logistics/inventory/' -> 'logistics-inventory'; '/' -> 'home'."""
    return re.sub(r"[^A-Za-z0-9]+", "-", path.split("?")[0]).strip("-") or "home"


def main_pages(page: Any) -> list[str]:
    """The paths of the main menu for whoever is logged in (read from the page, at desktop size)."""
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    hrefs = page.eval_on_selector_all(
        "header nav .nav-main > li > a[href], header nav .nav-user a[href]",
        "links => links.map(a => a.getAttribute('href'))",
    )
    return list(dict.fromkeys(h for h in hrefs if h.startswith("/")))


def register_pages(page: Any) -> list[str]:
    """The paths of the Registers menu, less the API's documentation page (Swagger UI's own
    markup, vendored as it is)."""
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    hrefs = page.eval_on_selector_all(
        "header nav details.dropdown a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in dict.fromkeys(hrefs) if h.startswith("/") and not h.startswith("/api/v1/")]


@dataclass
class Sweep:
    """What one role's sweep found: axe findings per page and size, the phone widths."""

    role: str
    blocking: list[str] = field(default_factory=list)
    wide: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def visit(self, page: Any, path: str, name: str = "", *, phone_page: bool = False) -> None:
        """Open a page at both sizes: screenshot, axe, and the width of the page on the phone.
        One line per page: the axe counts per impact (critical/serious/moderate/minor) at each
        size, the rules found, the page's width on the phone."""
        name = name or page_name(path)
        page.set_viewport_size(DESKTOP)
        response = page.goto(path)
        status = response.status if response is not None else None
        assert status is not None and status < 400, f"{path} answered {status}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        parts, rules = [], set()
        for label, size in SIZES:
            page.set_viewport_size(size)
            shot = SCREENSHOTS / f"{self.role}-{name}-{label}.png"
            page.screenshot(path=str(shot), full_page=True)
            found = page.evaluate(_RUN_AXE)
            counts = Counter(v["impact"] for v in found)
            parts.append(f"{label} " + "/".join(str(counts.get(i, 0)) for i in IMPACTS))
            rules.update(f"{v['id']} ({v['impact']})" for v in found)
            for v in found:
                if v["impact"] in BLOCKING:
                    self.blocking.append(
                        f"{name} {label}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                    )
        width = page.evaluate("() => document.documentElement.scrollWidth")
        line = f"{self.role:<12} {name:<26} axe {' · '.join(parts)} · phone {width} px"
        if phone_page:  # the working pages on a tablet too (no screenshot)
            for tablet in TABLETS:
                page.set_viewport_size(tablet)
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                if wide > tablet["width"]:
                    self.wide.append(f"{name}: {wide} px on a {tablet['width']} px tablet")
            page.set_viewport_size(PHONE)
        if width > PHONE["width"]:
            culprits = page.evaluate(_WIDEST)
            line += f" (wider: {culprits})"
            if phone_page:
                self.wide.append(f"{name}: {width} px ({culprits})")
        self.lines.append(line + (f"  [{', '.join(sorted(rules))}]" if rules else ""))
        page.set_viewport_size(DESKTOP)

    def report(self) -> None:
        header = f"{'role':<12} {'page':<26} axe critical/serious/moderate/minor per size"
        print("\n" + header + "\n" + "\n".join(self.lines))
        if not REPORT:
            REPORT.append(header)
        REPORT.extend(self.lines)
        assert not self.blocking, "serious or critical axe findings:\n" + "\n".join(self.blocking)
        assert not self.wide, "wider than a 390 px phone:\n" + "\n".join(self.wide)


class Tally:
    """Counts a user's clicks and the forms the browser posts, for a task test to print."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.clicks = 0
        self.posts = 0
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if request.method == "POST":
            self.posts += 1

    def click(self, selector: str) -> None:
        self.clicks += 1
        self.page.click(selector)

    def select(self, selector: str, **option: Any) -> None:
        """Choosing from a list: one click to open it, one to choose."""
        self.clicks += 2
        self.page.select_option(selector, **option)

    def summary(self, task: str) -> str:
        line = f"task {task}: {self.clicks} clicks, {self.posts} form posts"
        REPORT.append(line)
        return line
