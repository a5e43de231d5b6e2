"""The upgrade module: upgrade plans scheduled by governance, and the record of applied ones."""
