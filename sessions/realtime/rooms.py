"""The rooms Mend puts sockets in, named here and nowhere else; names never come from a client.

A cohort's room holds its participants and projector, its team room its facilitators, and each
participant's own room every device of that one person.
"""


def room_of(cohort_id: int) -> str:
    return f"cohort:{cohort_id}"


def team_of(cohort_id: int) -> str:
    return f"cohort:{cohort_id}:team"


def own_room(participant_id: int) -> str:
    return f"participant:{participant_id}"
