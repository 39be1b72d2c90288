"""Small helpers the command-line tools share: replace only the options a user gave, and check an
option's range before any work starts (a bad value is refused in a second, not after minutes)."""
from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from training.errors import OptionError

C = TypeVar("C")


def replace_given(cfg: C, **options) -> C:
    """`cfg` (a dataclass) with the options that are not None put in; the rest keep their values."""
    return replace(cfg, **{k: v for k, v in options.items() if v is not None})


def check_range(option: str, value, low=None, high=None) -> None:
    """Refuse `value` outside [low, high] (either bound may be None) with the option's name;
    None means the option was not given and passes."""
    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = (f"between {low} and {high}" if low is not None and high is not None
                  else f"at least {low}" if low is not None else f"at most {high}")
        raise OptionError(f"{option} must be {bounds}, not {value}")
