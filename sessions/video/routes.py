"""The organisation's video settings, on its settings page: which provider (off by default), and for
a link-out provider the room address and Jitsi's token authentication. Administrators only; every
change goes in the audit trail (the secret only as "changed")."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, g, redirect, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; the stubs are of 3.2
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from extensions import db
from facilitation import audit, mail
from facilitation.access import administrator_only, cohort_run_by
from facilitation.models import Cohort
from refusals import Refusal
from sessions.realtime.plumbing import commit
from sessions.video import operations as video
from sessions.video.models import VideoCohort, VideoSetting

bp = Blueprint("video", __name__)


class VideoSettingsForm(FlaskForm):
    provider = SelectField(
        "Video for groups that meet online",
        choices=[
            SelectChoice("off", "Off: groups meet in person"),
            SelectChoice("janus", "Janus, run beside Mend"),
            SelectChoice("jitsi", "Jitsi Meet, run by us"),
            SelectChoice("bbb", "BigBlueButton, run by us"),
        ],
        validators=[DataRequired()],
    )
    link_template = StringField("Room address", validators=[Optional(), Length(max=500)])
    jitsi_app_id = StringField("Jitsi application id", validators=[Optional(), Length(max=100)])
    jitsi_secret = PasswordField("Jitsi application secret", validators=[Optional(), Length(max=255)])

    def validate_link_template(self, field: StringField) -> None:
        template = (field.data or "").strip()
        field.data = template
        if self.provider.data in ("jitsi", "bbb") and not template.startswith("https://"):
            raise ValidationError(
                "Give the address of a room, starting with https:// (with {room} where its name goes)."
            )

    def validate_provider(self, field: SelectField) -> None:
        if field.data == "janus" and not video.janus_configured():
            raise ValidationError("Janus is not set up beside this Mend yet: see the deployment guide.")


class MeetsOnlineForm(FlaskForm):
    meets_online = BooleanField("This group meets online, with audio and video")


def _setting() -> VideoSetting:
    organisation_id = current_user.organisation_id
    setting = video.setting_of(organisation_id)
    if setting is None:
        setting = VideoSetting(organisation_id=organisation_id, provider="off")
        db.session.add(setting)
    return setting


def settings_form() -> VideoSettingsForm:
    """The form on the settings page: as posted when it had a mistake, else as saved."""
    if "video_form" in g:
        return g.video_form
    existing = video.setting_of(current_user.organisation_id)
    return VideoSettingsForm(formdata=None, obj=existing, provider=existing.provider if existing else "off")


def provider_for_page(cohort: Cohort) -> str:
    """The cohort's provider, for its participant page and console; the page may then talk to it."""
    provider = video.provider_of(cohort)
    if provider == "janus":
        g.video_connect = _origin(current_app.config.get("MEND_JANUS_PUBLIC_URL") or "")
    elif provider == "jitsi":
        setting = video.setting_of(cohort.organisation_id)
        g.video_frame = _origin(setting.link_template if setting and setting.link_template else "")
    return provider


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def cohort_video(cohort: Cohort) -> dict | None:
    """What the cohort's page shows of video: nothing while the organisation has no provider."""
    provider = video.organisation_provider(cohort.organisation_id)
    if provider == "off":
        return None
    online = video.meets_online(cohort)
    return {"provider": provider, "online": online, "form": MeetsOnlineForm(formdata=None, meets_online=online)}


@bp.app_context_processor
def video_helpers() -> dict:
    return {"video_settings_form": settings_form, "video_provider": provider_for_page, "cohort_video": cohort_video}


@bp.after_app_request
def allow_the_media_server(response: Response) -> Response:
    """A page with video may reach the Janus server (its API) or frame the Jitsi room, and nothing else."""
    policy = response.headers.get("Content-Security-Policy")
    connect, frame = g.pop("video_connect", None), g.pop("video_frame", None)
    if policy and connect:
        policy = policy.replace("connect-src 'self'", f"connect-src 'self' {connect}")
    if policy and frame:
        policy = policy.replace("default-src 'self'", f"default-src 'self'; frame-src {frame}")
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return response


@bp.post("/settings/video")
@login_required
def save_video_settings():
    administrator_only("Only your organisation's administrators can change its settings.")
    form = VideoSettingsForm()
    if not form.validate_on_submit():
        from facilitation.settings import settings_page

        g.video_form = form
        page = settings_page()
        return page[0], 400
    setting = _setting()
    changed: dict[str, list] = {}
    for name in ("provider", "link_template", "jitsi_app_id"):
        value = getattr(form, name).data or (None if name != "provider" else "off")
        if getattr(setting, name) != value:
            changed[name] = [getattr(setting, name), value]
            setattr(setting, name, value)
    if form.jitsi_secret.data:
        setting.jitsi_secret_sealed = mail.seal_password(form.jitsi_secret.data)
        changed["jitsi_secret"] = ["…", "changed"]
    if changed:
        audit.record(current_user.id, "settings.change", details=changed)
        commit()
        flash("The video settings are saved.")
    else:
        flash("Nothing was changed.")
    return redirect(url_for("settings.settings_page") + "#video-title")


@bp.post("/cohorts/<int:cohort_id>/video")
@login_required
def set_meets_online(cohort_id: int):
    """A cohort's facilitators (or an administrator) say whether it meets online. Its pages load video,
    and its sessions open rooms, from the next page they open."""
    cohort = cohort_run_by(current_user, cohort_id)
    form = MeetsOnlineForm()
    if not form.validate_on_submit() or cohort.is_archived:
        raise Refusal("bad_request")
    online = bool(form.meets_online.data)
    row = db.session.get(VideoCohort, cohort.id)
    if online != (row is not None):
        if online:
            db.session.add(VideoCohort(cohort_id=cohort.id))
        else:
            db.session.delete(row)
        audit.record(
            current_user.id, "cohort.edit", cohort_id=cohort.id, details={"meets_online": [not online, online]}
        )
        commit()
    flash(
        "This group meets online: its pages offer audio and video."
        if online
        else "This group meets in person: its pages load no video."
    )
    return redirect(url_for("facilitation.cohort", cohort_id=cohort.id) + "#video-cohort-title")
