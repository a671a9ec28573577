"""A trend a participant chose to share with the facilitators by name, for their cohort.

`SharedTrend` is the facilitators' copy, in the clear (they may read it), made only when its
author taps "share" and deleted when they withdraw it. Their own copy stays sealed in their
journal (sessions/journal/trends.py).
"""

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model, db


class SharedTrend(Model):
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    # The author's trend as sessions/journal/trends.trend_of gives it, refreshed when they answer again.
    trend: Mapped[list] = mapped_column(db.JSON, default=list)
