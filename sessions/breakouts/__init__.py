"""Breakout rounds: rooms assigned without repeats, roles, prompts, and notes a room may choose to share."""
