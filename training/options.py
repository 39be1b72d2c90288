"""Small helpers the command-line tools share: replace only the options a user gave, and check an
option's range before any work starts (a bad value is refused in a second, not after minutes)."""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from typing import Callable, TypeVar

from training.errors import USER_ERRORS, OptionError

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


def run_command(parser: argparse.ArgumentParser, commands: dict[str, Callable[[argparse.Namespace], int]],
                check_options: Callable[[argparse.Namespace], None], argv: list[str] | None) -> int:
    """A CLI's main: parse, configure logging once, check the options, run the command. A user's
    error (USER_ERRORS) is one line on stderr and exit status 2; anything else is a bug and keeps
    its traceback."""
    a = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        check_options(a)
        return commands[a.command](a)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
