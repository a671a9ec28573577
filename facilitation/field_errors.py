"""What a programme file's and an instrument file's loaders say about a field that fails its check:
pydantic's error types in the words of someone writing the file (facilitation/programmes.py,
facilitation/measures.py)."""

FIELD_ERRORS = {
    "missing": "is required",
    "string_too_short": "must not be empty",
    "string_too_long": "at most {max_length} characters",
    "too_short": "needs at least {min_length} items",
    "too_long": "allows at most {max_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_type": "must be text (quote it if it looks like a number, yes/no or a date)",
    "string_pattern_mismatch": "must be lowercase letters, digits and dashes",
    "literal_error": "must be {expected}",
    "list_type": "must be a list",
    "model_type": "must be 'name: value' lines",
}
