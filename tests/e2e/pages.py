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
SIZES = (("1280x800", DESKTOP), ("390x844", PHONE))
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = {"critical", "serious"}

# axe.run on the whole document; results are violations only (the passes are thousands of nodes).
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
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


@dataclass
class Sweep:
    """What one role's sweep found: axe findings per page and size, the phone widths."""

    role: str
    blocking: list[str] = field(default_factory=list)
    wide: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def visit(self, page: Any, path: str, name: str = "", *, phone_page: bool = False) -> None:
        """Open a page at both sizes: screenshot, axe, and the width of the page on the phone."""
        name = name or page_name(path)
        page.set_viewport_size(DESKTOP)
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in SIZES:
            page.set_viewport_size(size)
            page.screenshot(path=str(SCREENSHOTS / f"{self.role}-{name}-{label}.png"), full_page=True)
            found = page.evaluate(_RUN_AXE)
            counts = Counter(v["impact"] for v in found)
            rules = ", ".join(f"{v['id']} ({v['impact']})" for v in found)
            self.lines.append(
                f"axe {self.role:<10} {name:<28} {label:<8} "
                + " ".join(f"{i}={counts.get(i, 0)}" for i in IMPACTS)
                + (f"  [{rules}]" if rules else "")
            )
            for v in found:
                if v["impact"] in BLOCKING:
                    self.blocking.append(
                        f"{name} {label}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                    )
            if size is PHONE:
                width = page.evaluate("() => document.documentElement.scrollWidth")
                self.lines.append(f"width {self.role:<10} {name:<28} {width} px on a 390 px screen")
                if phone_page and width > PHONE["width"]:
                    self.wide.append(f"{name}: {width} px")
        page.set_viewport_size(DESKTOP)

    def report(self) -> None:
        print()
        print("\n".join(self.lines))
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
        return f"{task}: {self.clicks} clicks, {self.posts} form posts"
