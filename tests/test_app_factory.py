"""`create_app` as a factory: every app it makes in one process is a whole app."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Two apps made one after the other, in a process that imported nothing of Mend before (unlike this
# suite, whose conftest imports the handler modules first): how many events each app's server knows.
TWO_APPS = """
import sys
from app import create_app
from extensions import socketio

for name in ("first", "second"):
    create_app({"INSTANCE_PATH": f"{sys.argv[1]}/{name}", "SECRET_KEY": "x", "MEND_DEMO": False,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sys.argv[1]}/{name}/mend.db"})
    print(len(socketio.server.handlers.get("/live", {})))
"""


def test_a_second_app_in_the_same_process_answers_the_same_socket_events(tmp_path):
    environment = {**os.environ, "MEND_ASYNC_MODE": "threading"}
    for name in ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE", "MEND_INSTANCE_PATH"):
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", TWO_APPS, str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    first, second = (int(count) for count in result.stdout.split())
    assert first > 30
    assert second == first
