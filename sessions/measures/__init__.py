"""Measures: the group's aggregates for the facilitators, shared trends, and the risk item's check-in."""
