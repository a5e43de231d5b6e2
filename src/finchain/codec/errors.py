"""Error codes of the codec (codespace ``codec``)."""

from finchain.errors import register

ErrMalformed = register("codec", 2, "malformed encoding")
ErrNonCanonical = register("codec", 3, "non-canonical encoding")
ErrTooLarge = register("codec", 4, "encoded object too large")
ErrFloat = register("codec", 5, "floating-point value in canonical data")
ErrSchema = register("codec", 6, "value does not match the expected schema")
ErrAmount = register("codec", 7, "invalid amount")
