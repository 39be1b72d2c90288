"""Check JSON from a stranger's file as a whole, before anything is built from it.

Recipes, sessions, code files and model configs are read with `read_json` (bounded size and nesting,
no NaN or Infinity) and then walked with a `Fields` checker: each value is checked for its type,
length, finiteness and range, and the first that fails becomes one line naming the file and the
field ("edited.png.recipe.json is damaged: z0[3] must be a finite number, not 'x'"). Nothing else
(a KeyError, a RecursionError, a 5 GB allocation from a huge box) can come out of a damaged file.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from training.errors import UserError

MAX_JSON_BYTES = 64 << 20  # a session with a long history is a few MB; nothing we write nears this
MAX_DEPTH = 32  # our files nest at most 6 deep
HUGE = 1e6  # no coordinate, weight or setting in our files comes near this


class FileContentError(UserError):
    """A file's content is damaged or tampered with; the message names the file and the field."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path: str | os.PathLike, what: str, error: type[UserError] = FileContentError):
    """The JSON value in `path` (named `what` in messages), or `error`: unreadable, not UTF-8, not
    JSON, larger than MAX_JSON_BYTES, nested deeper than MAX_DEPTH, or holding NaN/Infinity."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise error(f"{what} is {path.stat().st_size >> 20} MB, too large to be one of this "
                        f"program's files")
        text = path.read_text(encoding="utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except (OSError, UnicodeDecodeError, ValueError) as e:  # JSONDecodeError is a ValueError
        raise error(f"cannot open {what}: {e}") from e
    except RecursionError:
        raise error(f"cannot open {what}: it nests deeper than any file this program writes") from None
    check_depth(value, what, error)
    return value


def check_depth(value, what: str, error: type[UserError] = FileContentError) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise error(f"{what} is damaged: it nests deeper than any file this program writes")
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Fields:
    """Typed reads out of a file's JSON; a value that fails raises `error` naming `what` and the
    field: "{what} is damaged: {field} must be ..., not ...". Every method returns the value."""

    what: str  # the file, as the user knows it: "session s.json"
    error: type[UserError] = FileContentError

    def fail(self, where: str, wanted: str, value) -> None:
        raise self.error(f"{self.what} is damaged: {where} must be {wanted}, not {_show(value)}")

    def dict(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "a JSON object", value)
        return value

    def key(self, d: dict, key: str, where: str = ""):
        """d[key], refusing a missing key."""
        if key not in d:
            raise self.error(f"{self.what} is damaged: {where + '.' if where else ''}{key} is missing")
        return d[key]

    def integer(self, value, where: str, low: int | None = None, high: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(where, "a whole number", value)
        self._in_range(value, where, low, high)
        return value

    def number(self, value, where: str, low: float = -HUGE, high: float = HUGE) -> float:
        """A finite number (int or float, not bool) in [low, high]."""
        if (not isinstance(value, (int, float)) or isinstance(value, bool)
                or not math.isfinite(value)):
            self.fail(where, "a finite number", value)
        self._in_range(value, where, low, high)
        return float(value)

    def numbers(self, value, where: str, length: int | None = None, low: float = -HUGE,
                high: float = HUGE, max_length: int = 1 << 16) -> list[float]:
        """A list of finite numbers in [low, high], of `length` items when given."""
        if not isinstance(value, list) or len(value) > max_length:
            self.fail(where, f"a list of {length or 'at most ' + str(max_length)} numbers", value)
        if length is not None and len(value) != length:
            self.fail(where, f"a list of {length} numbers", f"{len(value)} numbers")
        return [self.number(v, f"{where}[{i}]", low, high) for i, v in enumerate(value)]

    def string(self, value, where: str, choices=None, max_length: int = 4096) -> str:
        if not isinstance(value, str) or len(value) > max_length:
            self.fail(where, "a text" + (f" of at most {max_length} characters" if
                                         isinstance(value, str) else ""), value)
        if choices is not None and value not in choices:
            self.fail(where, "one of " + ", ".join(map(repr, choices)), value)
        return value

    def boolean(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, "true or false", value)
        return value

    def list(self, value, where: str, max_length: int = 1 << 16) -> list:
        if not isinstance(value, list) or len(value) > max_length:
            self.fail(where, f"a list of at most {max_length} items", value)
        return value

    def _in_range(self, value, where: str, low, high) -> None:
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"between {low} and {high}" if low is not None and high is not None
                      else f"at least {low}" if low is not None else f"at most {high}")
            self.fail(where, bounds, value)
