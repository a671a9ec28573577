"""Mend's entry point: `create_app()` builds the Flask app; `python app.py` serves it.

The server patches its async library before anything else is imported, as eventlet
and gevent require. `MEND_ASYNC_MODE` is therefore read from the real environment
only (a `.env` file is loaded later, too late for this one setting).
"""

import os

# A process that imports this module rather than running it (the `flask` command, tests, benchmarks)
# has imported Flask and threading already, so patching would come too late: eventlet then upgrades
# the locks that exist by reading every object's attributes, Flask's `current_app` and `request`
# proxies among them, and logged a "Working outside of application context" traceback for each.
# Such a process serves nothing and needs no async library.
SERVING = __name__ == "__main__"
ASYNC_MODE = os.environ.get("MEND_ASYNC_MODE", "eventlet") if SERVING else "threading"
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

# The imports below must follow the monkey-patching above.
import gc  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from pathlib import Path  # noqa: E402

from flask import Flask, Request, abort, jsonify, render_template, request  # noqa: E402
from flask.sessions import SecureCookieSessionInterface  # noqa: E402
from flask_wtf.csrf import CSRFError  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.exc import TimeoutError as PoolTimeout  # noqa: E402
from werkzeug.exceptions import HTTPException  # noqa: E402
from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

import config as mend_config  # noqa: E402
from extensions import compress, csrf, db, limiter, login_manager, migrate, socketio  # noqa: E402
from refusals import FROM_HTTP, PAGE_NOT_FOUND, PAGE_TITLES, Refusal  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent
log = logging.getLogger("mend")
# Seconds after which a page refused as "busy" loads again by itself.
RETRY_SECONDS = 3


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app. `config` overrides settings from the environment (tests use it)."""
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("MEND_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.update(mend_config.FIXED_SETTINGS)
    app.config["MEND_ASYNC_MODE"] = ASYNC_MODE
    app.config.update(mend_config.settings_from_environment(app.instance_path))
    app.config.update(overrides)
    _keep_files_private(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    # Each capability's Socket.IO handlers register themselves on import, before the first init_app:
    # Flask-SocketIO gives every later app's server only the handlers it knew before its first one.
    from sessions.breakouts import events as breakout_events  # noqa: F401
    from sessions.journal import events as journal_events  # noqa: F401
    from sessions.live import events as live_events  # noqa: F401
    from sessions.measures import events as measure_events  # noqa: F401
    from sessions.messages import events as message_events  # noqa: F401
    from sessions.polls import events as poll_events  # noqa: F401
    from sessions.realtime.packets import close_on_unreadable_packets
    from sessions.realtime.schemas import MAX_MESSAGE_BYTES
    from sessions.realtime.slots import hold_slots
    from sessions.safety import events as safety_events  # noqa: F401
    from sessions.video import events as video_events  # noqa: F401

    socketio.init_app(
        app,
        async_mode=app.config["MEND_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=app.config["MEND_ALLOWED_ORIGINS"],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        **_redis_queue(app),
    )
    close_on_unreadable_packets(socketio.server)
    hold_slots(socketio.server, app.config["MEND_CONNECTIONS_PER_ADDRESS"], app.config["MEND_JOIN_SECONDS"])
    if app.config["MEND_TRUSTED_PROXIES"]:
        # Rate limits, logs and the connection slots must see the person's address, not nginx's: wrapped
        # around the Socket.IO middleware as well, which init_app put around the app.
        hops = app.config["MEND_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from facilitation import admin, auth, cli, mail, overview, settings, views
    from sessions.journal import routes as journal_routes
    from sessions.live import console
    from sessions.live import routes as live_routes
    from sessions.measures import routes as measure_routes
    from sessions.records import routes as records_routes
    from sessions.safety import routes as safety_routes
    from sessions.video import routes as video_routes

    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    mail.mailman.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(live_routes.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(safety_routes.bp)
    app.register_blueprint(journal_routes.bp)
    app.register_blueprint(records_routes.bp)
    app.register_blueprint(measure_routes.bp)
    app.register_blueprint(video_routes.bp)
    app.cli.add_command(cli.mend)
    _register_health(app)
    _register_socketio_path(app)
    app.session_interface = EventAwareSessionInterface()
    _register_errors(app)
    _register_headers(app)
    return app


def _keep_files_private(app: Flask) -> None:
    """The instance folder is its owner's alone (0700), and so are the database's files (0600): they
    hold the keys, the journals' ciphertext and, while a poll is open, who has answered. SQLite gives
    its -wal and -shm files the database file's mode, so the file is made owner-only before SQLite
    first opens it."""
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance.chmod(0o700)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///") or uri == "sqlite:///:memory:":
        return
    database = Path(uri.removeprefix("sqlite:///"))
    if not database.parent.is_dir():
        return  # /healthz will say the database is unreachable
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            path.chmod(0o600)


def _redis_queue(app: Flask) -> dict:
    """With a Redis message queue, the manager that resends every session's state when Redis comes back."""
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not queue or not queue.startswith(("redis://", "rediss://", "unix://")):
        return {}
    from sessions.realtime.message_queue import ResendingRedisManager

    def resend() -> None:
        from sessions.live.events import resend_states

        resend_states(app)

    return {"client_manager": ResendingRedisManager(queue, app.config["SOCKETIO_CHANNEL"], resend)}


class EventAwareSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, not opened again for each Socket.IO event. Flask opens the session
    whenever a request context is pushed, and Flask-SocketIO pushes one per event, then swaps in its own
    copy of the session made at the connection's first event (kept in the connection's environ): the
    cookie was verified and decoded every time only to be thrown away."""

    def open_session(self, app: Flask, request: Request):
        if "saved_session" in request.environ:
            return self.make_null_session(app)
        return super().open_session(app, request)


def _register_socketio_path(app: Flask) -> None:
    """Flask-SocketIO handles each event inside a request context built from the connection's environ
    (a WebSocket or a long-polling request to /socket.io/). With no rule for that path, matching the URL
    raised for every event and kept the exception, with its traceback, in reference cycles: garbage that
    only the cyclic collector frees, in pauses that grew with the number of connections (a quarter of a
    second at a thousand). These rules are never dispatched: Flask-SocketIO's middleware answers the
    path before Flask sees it."""

    def socketio_path():
        abort(404)

    for websocket in (False, True):
        app.add_url_rule(
            "/socket.io/",
            endpoint="socketio-websocket" if websocket else "socketio-polling",
            view_func=socketio_path,
            methods=["GET"] if websocket else ["GET", "POST"],
            strict_slashes=False,
            websocket=websocket,
        )


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
            db.session.rollback()
            reason = type(error).__name__
            log.warning("health check: database unreachable (%s)", reason)
            return jsonify(status="error", db="unreachable", reason=reason, version=app.config["VERSION"]), 503
        return jsonify(status="ok", db="ok", version=app.config["VERSION"])


def _register_errors(app: Flask) -> None:
    """Every refusal a page can meet is a `Refusal` answered here: Mend's own (a rule of
    facilitation/access.py or an operation said no) and the HTTP errors Flask raises itself."""

    def answer(refusal: Refusal):
        db.session.rollback()
        title = str(refusal.details.get("title") or PAGE_TITLES.get(refusal.code, "That cannot be done here"))
        message = PAGE_NOT_FOUND if refusal.code == "not_found" else refusal.message
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=title, message=message, code=refusal.code), refusal.status
        retry = RETRY_SECONDS if refusal.code == "busy" else None
        return render_template("error.html", title=title, message=message, retry=retry), refusal.status

    def http_error(error: HTTPException):
        return answer(Refusal(FROM_HTTP[error.code]))  # type: ignore[index]  # registered for those codes only

    def form_expired(error: CSRFError):
        return answer(Refusal("form_expired"))

    def busy(error: PoolTimeout):
        # Every database connection of this process stayed in use for the pool's whole timeout (a crowd
        # arriving at once on PostgreSQL): the page asks the browser to come back, rather than failing.
        log.warning("no database connection free within the pool's timeout; asked the browser to retry")
        response = answer(Refusal("busy"))
        body, status = response if isinstance(response, tuple) else (response, 503)
        return body, status, {"Retry-After": str(RETRY_SECONDS)}

    app.register_error_handler(Refusal, answer)
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(PoolTimeout, busy)
    for status in FROM_HTTP:
        app.register_error_handler(status, http_error)


def _register_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Join links and personal links carry secrets in their paths.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response


def main() -> None:
    from facilitation.instance import prepare_instance
    from facilitation.retention import start_retention_job
    from sessions.journal.crypto import JournalKeyError
    from sessions.live import presence
    from sessions.live.events import announce_presence
    from sessions.realtime.plumbing import commit, held

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Engine.IO and Socket.IO give their loggers a handler of their own unless a level is set first, and
    # their records reach the root's handler as well: each of their errors was written twice. ERROR is
    # the level they choose themselves.
    for library in ("engineio.server", "socketio.server"):
        logging.getLogger(library).setLevel(logging.ERROR)
    # gevent's server logs every request at INFO, paths and all: a personal or projector link's secret
    # would be written to the log (eventlet's access log is off: log_output=False below).
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    # Whatever this process creates (keys, database files, exports) is readable by its owner only.
    os.umask(0o077)
    app = create_app()
    try:
        demo = prepare_instance(app)
    except JournalKeyError as problem:
        raise SystemExit(f"Mend cannot start: {problem}") from None
    with app.app_context():
        presence.register_process(single_process=not app.config["SOCKETIO_MESSAGE_QUEUE"])
        commit()
    presence.start_heartbeat(app, announce_presence, held)
    start_retention_job(app)
    host, port = app.config["HOST"], app.config["PORT"]
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104 - only naming the address to print
    lines = [f"Mend {app.config['VERSION']} is running at {url}"]
    if demo:
        lines.append(f"Demo sign-in: {demo.email} / {demo.password}")
    print("\n".join(lines), flush=True)  # noqa: T201 - this is the command's output, not a log
    # The cyclic garbage collector stops every session on this process while it runs, for as long as it
    # takes to traverse what it tracks (a full collection took a quarter of a second with a thousand
    # connections). What start-up built lives as long as the process: frozen, it is never traversed
    # again. Young collections run less often, so that fewer objects of events still in flight survive
    # them into the old generation, whose growth is what triggers full collections (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 100, 100)
    # eventlet's server holds at most 1,024 connections unless told otherwise; one more would wait unanswered.
    limits = {}
    if app.config["MEND_ASYNC_MODE"] == "eventlet":
        from sessions.realtime.frames import unmask_fast
        from sessions.realtime.slots import header_deadline_protocol

        unmask_fast()

        limits = {
            "max_size": app.config["MEND_MAX_CONNECTIONS"],
            # A connection may not hold its slot by sending its request slowly or not at all; a minute
            # bounds every later wait for the client (a WebSocket's own is set by Engine.IO).
            "protocol": header_deadline_protocol(app.config["MEND_HEADER_SECONDS"]),
            "socket_timeout": 60,
        }
    backlog = app.config["MEND_LISTEN_BACKLOG"]
    if app.config["MEND_ASYNC_MODE"] == "eventlet":
        # What socketio.run does under eventlet, with a listen queue sized for bursts of arrivals (it
        # always asks eventlet for its default of 50).
        import eventlet.wsgi

        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = eventlet.listen(address, family, backlog=backlog)
        eventlet.wsgi.server(listener, app, log_output=False, **limits)
    elif app.config["MEND_ASYNC_MODE"] == "gevent":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False, backlog=backlog)
    else:
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main()
