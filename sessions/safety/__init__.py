"""Safety in the room: the private pause signal, the grounding break, content notes and crisis resources."""
