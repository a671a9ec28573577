"""How a participant is recognised: a long-lived HttpOnly cookie holding their rejoin secret.

One cookie per cohort, so one phone can belong to several groups. The same cookie
identifies the participant's Socket.IO connections.
"""

from flask import current_app, request

from facilitation.cohorts import participant_by_secret
from facilitation.models import Cohort, Participant


def cookie_name(cohort: Cohort) -> str:
    return f"mend_p_{cohort.public_id}"


def current_participant(cohort: Cohort) -> Participant | None:
    participant = participant_by_secret(request.cookies.get(cookie_name(cohort)))
    return participant if participant is not None and participant.cohort_id == cohort.id else None


def remember(response, cohort: Cohort, secret: str):
    response.set_cookie(
        cookie_name(cohort),
        secret,
        max_age=current_app.config["PARTICIPANT_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["MEND_SECURE_COOKIES"],
        path="/",
    )
    return response
