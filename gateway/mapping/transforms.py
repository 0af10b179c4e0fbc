"""The closed vocabulary of value conversions used by mapping specs.

Each function takes text and returns the converted value or raises
``BadValue`` with a message for the user (the value is refused), or ``Unusual``
(the value is kept as the exception carries it, with a warning: what the
standard allows but a reader should look at). Nothing here evaluates input.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation


class BadValue(ValueError):
    pass


class Unusual(Exception):  # noqa: N818 - not an error: the value stands, with a warning
    """The value is kept (``value``), and ``message`` says why a reader should look at it."""

    def __init__(self, value: str, message: str) -> None:
        super().__init__(message)
        self.value = value
        self.message = message


def transform(name: str, value: str) -> str:
    if name == "clean":  # for outbound free text: no X12 delimiters, no control characters
        return re.sub(r"[*:~^|>\\\x00-\x1f\x7f]", " ", value).strip()
    if name == "trim":
        return value.strip()
    if name == "upper":
        return value.upper()
    if name == "lower":
        return value.lower()
    if name == "strip_zeros":
        stripped = value.lstrip("0")
        return stripped or ("0" if value else value)
    if name == "digits":
        return "".join(ch for ch in value if "0" <= ch <= "9")
    if name == "sscc":
        return sscc(value)
    if name == "sscc_with_ai":
        return sscc_with_ai(value)
    raise BadValue(f"unknown transform {name!r}")


def sscc(value: str) -> str:
    """A serial shipping container code as canonical documents hold it: the 18 digits of an SSCC-18.

    Labels print it behind the GS1 application identifier ``00``, and many partners send those 20
    digits (``00`` + SSCC-18): the prefix is dropped. Any other form (another length, letters) is a
    partner's own label number: kept as sent (trimmed), raising ``Unusual`` for the warning.
    """
    v = value.strip()
    if v.isascii() and v.isdigit():
        if len(v) == 18:
            return v
        if len(v) == 20 and v.startswith("00"):
            return v[2:]
    raise Unusual(v, f"{v!r} is not an SSCC-18 (18 digits, or 20 with the 00 application identifier): kept as sent")


def sscc_with_ai(value: str) -> str:
    """The 20 digits X12 code GM (element 88, "SSCC-18 and Application Identifier") calls for:
    ``00`` + the SSCC-18 a canonical document holds. Another form is written as it is (``Unusual``)."""
    return "00" + sscc(value)


_DATE_FORMATS = {
    "CCYYMMDD": "%Y%m%d",
    "MMDDCCYY": "%m%d%Y",
    "CCYY-MM-DD": "%Y-%m-%d",
    "MM/DD/CCYY": "%m/%d/%Y",
}
_TIME_FORMATS = {"HHMM": "%H%M", "HHMMSS": "%H%M%S", "HH:MM": "%H:%M", "HH:MM:SS": "%H:%M:%S"}


def to_date(value: str, fmt: str | None) -> str:
    """Partner date text -> ISO ``YYYY-MM-DD``."""
    v = value.strip()
    fmt = fmt or ("CCYYMMDD" if len(v) == 8 else "YYMMDD" if len(v) == 6 else "CCYY-MM-DD")
    if fmt == "CCYYMMDD" and len(v) == 8 and v.isascii() and v.isdigit():  # the usual X12 date: no strptime
        try:
            dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
        except ValueError:
            raise BadValue(f"{value!r} is not a date in format {fmt}") from None
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    try:
        if fmt == "YYMMDD":
            year = int(v[:2])
            v = ("20" if year < 50 else "19") + v
            return dt.datetime.strptime(v, "%Y%m%d").date().isoformat()
        if fmt == "MMDDYY":
            year = int(v[4:6])
            v = v[:4] + ("20" if year < 50 else "19") + v[4:6]
            return dt.datetime.strptime(v, "%m%d%Y").date().isoformat()
        return dt.datetime.strptime(v, _DATE_FORMATS[fmt]).date().isoformat()
    except (ValueError, KeyError):
        raise BadValue(f"{value!r} is not a date in format {fmt}") from None


def to_time(value: str, fmt: str | None) -> str:
    """Partner time text -> ``HH:MM`` or ``HH:MM:SS``."""
    v = value.strip()
    if fmt is None:
        fmt = {4: "HHMM", 6: "HHMMSS", 5: "HH:MM", 8: "HH:MM:SS"}.get(len(v), "HHMM")
        if len(v) in (7, 8) and v.isascii() and v.isdigit():
            v, fmt = v[:6], "HHMMSS"  # decimal seconds are dropped
    try:
        t = dt.datetime.strptime(v, _TIME_FORMATS[fmt]).time()
    except (ValueError, KeyError):
        raise BadValue(f"{value!r} is not a time in format {fmt}") from None
    return t.strftime("%H:%M:%S") if t.second or fmt in ("HHMMSS", "HH:MM:SS") else t.strftime("%H:%M")


_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


def to_decimal(value: str, implied: int | None = None) -> str:
    if not implied and _PLAIN_DECIMAL.fullmatch(value) and value != "-0":
        return value  # already canonical: the usual case
    v = value.strip().replace(",", "") if "," in value and "." in value else value.strip()
    try:
        d = Decimal(v)
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a number") from None
    if not d.is_finite():
        raise BadValue(f"{value!r} is not a number")
    if implied:
        d = d.scaleb(-implied)
    return decimal_text(d)


def decimal_text(d: Decimal) -> str:
    """Plain notation, no exponent, trailing zeros after the point removed."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_integer(value: str) -> int:
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a whole number") from None
    if d != d.to_integral_value():
        raise BadValue(f"{value!r} is not a whole number")
    return int(d)


def to_boolean(value: str) -> bool:
    v = value.strip().lower()
    if v in ("y", "yes", "true", "1", "t"):
        return True
    if v in ("n", "no", "false", "0", "f"):
        return False
    raise BadValue(f"{value!r} is not yes/no")


def scale(value: str, factor: str) -> str:
    try:
        return decimal_text(Decimal(value) * Decimal(str(factor)))
    except InvalidOperation:
        raise BadValue(f"cannot scale {value!r} by {factor!r}") from None


# -- outbound formatting ------------------------------------------------------------------------


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_ISO_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?")


def format_date(value: str, fmt: str) -> str:
    if fmt in ("HHMM", "HHMMSS", "HH:MM", "HH:MM:SS"):
        return format_time(value, fmt)
    m = _ISO_DATE.match(value)
    if m is None:
        raise BadValue(f"{value!r} is not an ISO date")
    y, mo, d = m.groups()
    out = {"CCYYMMDD": f"{y}{mo}{d}", "YYMMDD": f"{y[2:]}{mo}{d}", "MMDDYY": f"{mo}{d}{y[2:]}", "MMDDCCYY": f"{mo}{d}{y}",
           "CCYY-MM-DD": f"{y}-{mo}-{d}", "MM/DD/CCYY": f"{mo}/{d}/{y}"}.get(fmt)
    if out is None:
        return format_time(value, fmt)
    return out


def format_time(value: str, fmt: str) -> str:
    m = _ISO_TIME.match(value[11:] if "T" in value else value)
    if m is None:
        raise BadValue(f"{value!r} is not a time")
    h, mi, s = m.groups()
    s = s or "00"
    out = {"HHMM": f"{h}{mi}", "HHMMSS": f"{h}{mi}{s}", "HH:MM": f"{h}:{mi}", "HH:MM:SS": f"{h}:{mi}:{s}"}.get(fmt)
    if out is None:
        raise BadValue(f"unknown format {fmt!r}")
    return out


def format_number(value: str, implied: int | None = None, decimals: int | None = None) -> str:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a number") from None
    if implied:
        return str(int((d.scaleb(implied)).to_integral_value()))
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals))
        return format(d, "f")
    return decimal_text(d)
