"""The shape issue 16 asked for, checked: one place commits and emits, and every handler is a named function."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUMBING = {ROOT / "sessions/realtime/plumbing.py", ROOT / "sessions/realtime/pushes.py"}
SOURCES = sorted([*ROOT.glob("sessions/**/*.py"), *ROOT.glob("facilitation/**/*.py")])


def calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)]


def named(call: ast.Call) -> str:
    return ast.unparse(call.func)


def test_only_the_plumbing_commits_a_transaction_or_emits_to_a_room():
    found = [
        f"{path.relative_to(ROOT)}:{call.lineno} {named(call)}"
        for path in SOURCES
        if path not in PLUMBING
        for call in calls(path)
        if named(call) in {"db.session.commit", "socketio.emit", "emit", "socketio.server.disconnect"}
    ]
    assert found == []


def test_every_socket_handler_is_a_named_function():
    registered = []
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            # handler("event", ...)(something): registering without a def
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and named(node.func) == "handler":
                registered.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert registered == [], "handlers registered without a def (a lambda or a wrapper)"


def test_every_event_of_the_protocol_has_exactly_one_handler():
    from sessions.realtime.schemas import EVENTS

    events = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and named(decorator) == "handler":
                        events.append(ast.literal_eval(decorator.args[0]))
    assert sorted(events) == sorted(EVENTS)
