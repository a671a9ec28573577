"""Participant pages (entering a code, joining, the personal link, the live group page, forgetting
this device) and a paired screen's projector view (the projector link).
"""

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db, limiter
from facilitation.access import participant_of, projector_screen_of
from facilitation.cohorts import cohort_by_code, cohort_for_group_page, join_cohort, next_meeting_while
from facilitation.models import Cohort
from facilitation.views import join_qr, join_url
from refusals import Refusal
from sessions.live.events import announce_presence
from sessions.live.forms import CodeForm, JoinForm
from sessions.live.identity import (
    clear_site_data,
    cohort_by_projector_secret,
    current_participant,
    exchange_personal_link,
    exchange_projector_link,
    forget_participant,
    make_personal_link,
    participant_by_link,
    projector_cookie_name,
    remember,
)
from sessions.live.operations import open_and_ended_of
from sessions.realtime.plumbing import commit

bp = Blueprint("sessions", __name__)

# Wrong codes and links use up the allowance; a participant reloading their page does not.
GUESS_LIMIT = "20 per minute;200 per day"


# Joins that succeed, per address (an IPv6 /64): enough for a whole group joining on one venue's Wi-Fi,
# too few for one person to fill a group with made-up members (MEND_JOINS_PER_ADDRESS).
def _join_limit() -> str:
    return current_app.config["MEND_JOINS_PER_ADDRESS"]


def _joined(response) -> bool:
    return response.status_code == 302


def _missed(response) -> bool:
    return response.status_code == 404


def _unknown_code(form: CodeForm | None = None):
    return render_template("sessions/code_unknown.html", form=form or CodeForm()), 404


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("facilitation.dashboard"))
    return render_template("sessions/home.html", form=CodeForm())


@bp.post("/join")
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
def join_by_typed_code():
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("sessions/home.html", form=form), 400
    cohort = cohort_by_code(form.code.data)
    if cohort is None:
        return _unknown_code(form)
    return redirect(url_for("sessions.join_with_code", code=cohort.join_code))


@bp.route("/j/<code>", methods=["GET", "POST"])
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
@limiter.limit(_join_limit, methods=["POST"], deduct_when=_joined)
def join_with_code(code: str):
    cohort = cohort_by_code(code[:32])
    if cohort is None:
        return _unknown_code()
    if current_participant(cohort) is not None:
        return redirect(url_for("sessions.group", public_id=cohort.public_id))
    form = JoinForm()
    suggestion = None
    if form.validate_on_submit():
        try:
            participant, secret = join_cohort(cohort, form.display_name.data)
        except Refusal as refusal:
            form.display_name.errors = [*form.display_name.errors, refusal.message]
            offered = refusal.details.get("suggestion")
            suggestion = offered if isinstance(offered, str) else None
            if suggestion:
                form.display_name.data = suggestion
        else:
            commit()
            current_app.logger.info("participant %s joined cohort %s", participant.id, cohort.id)
            # The console shows who arrived (and who waits to be let in) without a reload.
            announce_presence(cohort.id)
            response = redirect(url_for("sessions.group", public_id=cohort.public_id, welcome=1))
            return remember(response, cohort, secret)
    status = 400 if form.errors else 200
    return render_template("sessions/join.html", cohort=cohort, form=form, suggestion=suggestion), status


def _private(response):
    # A page holding or naming a secret must not stay in a shared device's cache or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _unknown_link():
    return render_template("sessions/link_unknown.html"), 404


@bp.get("/p/<secret>")
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
def personal_link(secret: str):
    """A button, not the exchange itself: link previewers and prefetchers fetch what is pasted into a
    chat, and must not use the link up (nor learn whose it is: the page names nobody)."""
    if participant_by_link(secret) is None:
        return _unknown_link()
    return _private(make_response(render_template("sessions/personal_link_open.html", secret=secret)))


@bp.post("/p/<secret>")
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
def use_personal_link(secret: str):
    exchanged = exchange_personal_link(secret)
    if exchanged is None:
        return _unknown_link()
    participant, rejoin_secret = exchanged
    cohort = participant.cohort
    commit()
    response = redirect(url_for("sessions.group", public_id=cohort.public_id))
    return remember(response, cohort, rejoin_secret)


@bp.get("/g/<public_id>")
def group(public_id: str):
    cohort = cohort_for_group_page(public_id)
    participant = current_participant(cohort) if cohort is not None else None
    if cohort is None or participant is None:
        return _unknown_link()
    # The page reads the participant's cohort (the retention notice) as the kept one: loaded again, it
    # would cost the statements the cache saves. Nothing here adds or changes the participant.
    set_committed_value(participant, "cohort", cohort)
    live, runs = open_and_ended_of(cohort.id)
    page = render_template(
        "sessions/group.html",
        cohort=cohort,
        participant=participant,
        meeting=next_meeting_while(cohort, live),
        runs=runs,
        welcome=request.args.get("welcome") == "1",
    )
    return _private(make_response(page))


@bp.post("/g/<public_id>/link")
def make_link(public_id: str):
    """A new personal link, shown once in the answer to this post (never in a URL or a cached page)."""
    cohort, participant = participant_of(public_id)
    secret = make_personal_link(participant)
    commit()
    page = render_template(
        "sessions/personal_link_made.html",
        cohort=cohort,
        participant=participant,
        personal_url=url_for("sessions.personal_link", secret=secret, _external=True),
    )
    return _private(make_response(page))


@bp.get("/g/<public_id>/forget")
def forget_device_page(public_id: str):
    """What forgetting this device does, asked before it is done: without a personal link kept, it
    costs the person their place and their journal."""
    cohort, participant = participant_of(public_id)
    return _private(
        make_response(render_template("sessions/forget_device.html", cohort=cohort, participant=participant))
    )


@bp.post("/g/<public_id>/forget")
def forget_device(public_id: str):
    """Forget the participant on this device (CSRF-checked like every post). Their rejoin secret is
    replaced, so the cookie is dead even where a copy of it survives; a personal link they made and
    kept still brings them back."""
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.public_id == public_id[:24]))
    participant = current_participant(cohort) if cohort is not None else None
    if participant is not None:
        forget_participant(participant)
        commit()
    response = redirect(url_for("sessions.home"))
    response.delete_cookie(f"mend_p_{public_id[:24]}", path="/")
    return clear_site_data(response)


# The projector link: a screen in the room (a room computer, a smart TV's browser) shows one cohort's
# projector view without anyone signing in there.


@bp.get("/s/<secret>")
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
def projector_link(secret: str):
    """A button, not the exchange (as for personal links): a previewer must not pair itself."""
    if cohort_by_projector_secret(secret) is None:
        return render_template("sessions/projector_link_unknown.html"), 404
    return _private(make_response(render_template("sessions/projector_link_open.html", secret=secret)))


@bp.post("/s/<secret>")
@limiter.limit(GUESS_LIMIT, deduct_when=_missed)
def use_projector_link(secret: str):
    exchanged = exchange_projector_link(secret)
    if exchanged is None:
        return render_template("sessions/projector_link_unknown.html"), 404
    cohort, screen_secret = exchanged
    commit()
    response = redirect(url_for("sessions.projector_screen", public_id=cohort.public_id))
    return remember(response, cohort, screen_secret, name=projector_cookie_name(cohort))


@bp.get("/screen/<public_id>")
def projector_screen(public_id: str):
    """The projector view of a paired screen (or of a facilitator of the cohort): the room's view only."""
    cohort = projector_screen_of(public_id)
    return _private(
        make_response(render_template("sessions/projector.html", cohort=cohort, **projector_context(cohort)))
    )


def projector_context(cohort: Cohort) -> dict:
    """What the projector's lobby shows besides the slides: how to join."""
    return {
        "qr_svg": join_qr(cohort, scale=8),
        "join_url": join_url(cohort),
        "home_url": url_for("sessions.home", _external=True),
    }
