"""Run axe-core (vendored, tests/e2e/vendor/axe.min.js) in a Playwright page and return what it finds."""

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
GRAVE = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, *, impacts=GRAVE) -> list[dict]:
    """The violations of the page as it is now, of the given impacts, each as {id, impact, help, targets}.

    The script is evaluated through the browser's debugging protocol, which the page's Content-Security-Policy
    (no inline script) does not govern, so the page is tested exactly as it is served.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [violation for violation in results if violation["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['targets'])}" for v in violations)
