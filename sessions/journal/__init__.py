"""The private journal: entries sealed under each participant's own key, export, deletion, shared excerpts."""
