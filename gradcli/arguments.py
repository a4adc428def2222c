"""The Python API's arguments, checked once, for gradcli.ascend, Program and
Ascent alike: a number that is not finite (10**400 too) is an InputError
naming what it is for; a value of the wrong type is a TypeError that names
the parameter and what it takes."""
from __future__ import annotations

import math
from typing import Iterable, Mapping

from .errors import InputError, Phrase


def to_float(value: object) -> float:
    """float(value), with an OverflowError (an int beyond floats) as infinity."""
    try:
        return float(value)  # type: ignore[arg-type]  # numpy scalars, Decimal, Fraction
    except OverflowError:
        return -math.inf if value < 0 else math.inf  # type: ignore[operator]


def short(x: object) -> str:
    """repr(x), its middle cut out when long (10**400 has 401 digits)."""
    text = repr(x)
    return text if len(text) <= 40 else text[:20] + "..." + text[-10:]


def real(what: str, x: object, hint: str | Phrase = "") -> float:
    """A finite int or float (not a bool), as a float."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(to_float(x)):
        return float(x)
    raise InputError("%s must be a finite number, not %s" % (what, short(x)), hint=hint)


def whole(what: str, n: object, least: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        raise InputError("%s must be a whole number of %d or more, not %s" % (what, least, short(n)))
    return n


def names(parameter: str, value: object) -> list[str]:
    """Input names given as "x,y" or as an iterable of str."""
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        listed = list(value)
        for n in listed:
            if not isinstance(n, str):
                raise TypeError("%s must name inputs: a str like \"x,y\" or a list of str, not a list holding %r"
                                % (parameter, n))
        return listed
    raise TypeError("%s must name inputs: a str like \"x,y\" or a list of str, not %s"
                    % (parameter, type(value).__name__))


def label(parameter: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("%s must be a str (an output's label or name) or None, not %s"
                        % (parameter, type(value).__name__))
    return value
