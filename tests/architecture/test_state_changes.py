"""A state field is written in one place: tracker/core/states.py (change_state, claim_state).

The scan reads the application's source as Python (not as text), so it sees `x.status = …`, tuple
assignments such as `x.status, x.at = …`, and `.update(status=…)` however they are laid out. Creating
a record in its first state (`Model(status=…)`, `objects.create(status=…)`) is not a change of state.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("tracker", "platforms", "notices", "blocking")
STATE_FIELDS = frozenset({"status", "state", "decision", "email_status"})
THE_HELPER = ROOT / "tracker" / "core" / "states.py"


def state_writes(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Attribute) and element.attr in STATE_FIELDS:
                        found.append(f"{filename}:{node.lineno}: assigns .{element.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            for keyword in node.keywords:
                if keyword.arg in STATE_FIELDS:
                    found.append(f"{filename}:{node.lineno}: update({keyword.arg}=…)")
                elif keyword.arg is None and isinstance(keyword.value, ast.Dict):
                    keys = {key.value for key in keyword.value.keys if isinstance(key, ast.Constant)}
                    found.extend(f"{filename}:{node.lineno}: update(**{{{key!r}: …}})" for key in keys & STATE_FIELDS)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr" and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and name.value in STATE_FIELDS:
                found.append(f"{filename}:{node.lineno}: setattr(…, {name.value!r}, …)")
    return found


def application_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and path != THE_HELPER:
                yield path


def test_no_state_field_is_written_outside_the_state_machine_helper():
    writes = [
        write for path in application_sources() for write in state_writes(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert writes == []


def test_the_scan_finds_each_way_of_writing_a_state():
    planted = """
notice.status = "lapsed"
inbound.notice, inbound.state = notice, "attached"
Delivery.objects.filter(pk=1).update(
    attempts=2,
    state="sending",
)
Order.objects.filter(pk=1).update(**{"status": "issued"})
setattr(rebuttal, "decision", "upheld")
Notice(status="prepared")  # a new record in its first state: allowed
"""
    assert state_writes(planted, "planted.py") == [
        "planted.py:2: assigns .status",
        "planted.py:3: assigns .state",
        "planted.py:4: update(state=…)",
        "planted.py:8: update(**{'status': …})",
        "planted.py:9: setattr(…, 'decision', …)",
    ]
