"""XML Schema ``dateTimeStamp`` values, the only time format credentials carry.

finchain writes UTC with ``Z`` and whole seconds (``2025-03-01T08:00:00Z``)
and reads any dateTimeStamp with an explicit offset, so comparisons never
depend on the verifier's local zone. A value without a zone is refused: its
instant is unknown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from finchain.formats.errors import ErrInvalidTime

_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})"
)


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` of an aware datetime (sub-seconds dropped)."""
    return aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: object) -> datetime:
    """The aware UTC datetime of a dateTimeStamp string; ``ErrInvalidTime`` otherwise."""
    match = _STAMP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ErrInvalidTime(
            f"{str(text)[:40]!r} is not a dateTimeStamp: use UTC like 2025-03-01T08:00:00Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "0").ljust(6, "0"))
    zone = match.group(8)
    offset = timedelta(0)
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise ErrInvalidTime(f"{text!r} has an out-of-range zone offset")
        offset = sign * timedelta(hours=hours, minutes=minutes)
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
        return (local - offset).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ErrInvalidTime(f"{text!r} is not a real date and time") from None


def aware(moment: object) -> datetime:
    """``moment`` if it is a timezone-aware datetime; ``ErrInvalidTime`` otherwise."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ErrInvalidTime("time must be a timezone-aware datetime, e.g. datetime.now(UTC)")
    return moment
