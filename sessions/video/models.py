"""The organisation's choice of video provider: off (the default), Janus, or a link out to Jitsi Meet or
BigBlueButton, and the cohorts that meet online. The Janus server itself is the deployment's
(docs/deployment.md), not a setting."""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model

PROVIDERS = ("off", "janus", "jitsi", "bbb")


class VideoSetting(Model):
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(10), default="off")
    # For a link-out provider: the room's address, with {room} (and, for Jitsi, the JWT added by Mend).
    link_template: Mapped[str | None] = mapped_column(String(500))
    # Jitsi Meet's token authentication: the application id (the tokens' issuer) and its secret, sealed
    # like the mail password (facilitation/mail.py).
    jitsi_app_id: Mapped[str | None] = mapped_column(String(100))
    jitsi_secret_sealed: Mapped[str | None] = mapped_column(Text)


class VideoCohort(Model):
    """A cohort that meets online: only its pages load video and only its sessions open rooms, once the
    organisation chose a provider. Every other cohort meets in person and loads none of it."""

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True)
