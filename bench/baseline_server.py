"""The baseline of the live benchmarks: a bare Flask-SocketIO server that only relays a payload to a room,
and acknowledges an answer.

It runs with the same async mode as Mend (`MEND_ASYNC_MODE`), so the ratio of the two fan-out
(or acknowledgement) times is what Mend's own work costs. `python -m bench.baseline_server PORT`.
"""

import os
import sys

ASYNC_MODE = os.environ.get("MEND_ASYNC_MODE", "eventlet")
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

# The imports below must follow the monkey-patching above.
import secrets  # noqa: E402

from flask import Flask, make_response, redirect, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

NAMESPACE = "/live"
app = Flask(__name__)
socketio = SocketIO(app, async_mode=ASYNC_MODE, max_http_buffer_size=4 * 1024 * 1024)


# What `snapshot` answers: set once by the arrivals benchmark to a state of Mend's size.
snapshot_state: dict = {}


@app.get("/j/<code>")
def join_page(code):
    """What Mend's join page is to a browser, without Mend: a form with a token."""
    token = secrets.token_urlsafe(32)
    page = f'<form method="post"><input type="hidden" name="csrf_token" value="{token}"></form>'
    response = make_response(page)
    response.set_cookie("session", token, httponly=True)
    return response


@app.post("/j/<code>")
def join(code):
    """The name post, without Mend: a redirect that sets the person's cookie."""
    response = redirect(f"/g/{code}?welcome=1")
    response.set_cookie(f"mend_p_{code}", secrets.token_urlsafe(32), httponly=True)
    return response


@app.get("/g/<public_id>")
def group(public_id):
    return f'<div data-live-participant data-cohort="{public_id}"></div>'


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth=None):
    room = auth.get("room", auth.get("cohort"))
    if "cohort" in auth and f"mend_p_{room}" not in request.cookies:
        return False
    join_room(f"room:{room}")


@socketio.on("snapshot", namespace=NAMESPACE)
def snapshot(_data):
    return {"ok": True, "state": snapshot_state}


@socketio.on("snapshot:set", namespace=NAMESPACE)
def set_snapshot(data):
    snapshot_state.clear()
    snapshot_state.update(data)
    return {"ok": True}


@socketio.on("broadcast", namespace=NAMESPACE)
def broadcast(data):
    """What a facilitator's step change is, without Mend: one emit of the given state to the room."""
    socketio.emit("state", data["state"], to=f"room:{data['room']}", namespace=NAMESPACE)
    return {"ok": True}


@socketio.on("answer", namespace=NAMESPACE)
def answer(_data):
    """What a participant's poll answer is, without Mend: an acknowledged call that does nothing else."""
    return {"ok": True}


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"baseline is running at http://127.0.0.1:{port}/", flush=True)  # noqa: T201 - the command's output
    # The same connection limit as Mend's (MEND_MAX_CONNECTIONS): eventlet's default is 1,024.
    limit = {"max_size": 5000} if ASYNC_MODE == "eventlet" else {}
    socketio.run(app, host="127.0.0.1", port=port, log_output=False, allow_unsafe_werkzeug=True, **limit)
