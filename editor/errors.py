"""How the editor tells the user's errors from its own bugs. No Qt here.

A `training.errors.UserError` (a photo without a face, a damaged session) or an `OSError` (a file
missing, a disk full) is the user's to mend: its message is shown as it is. Anything else is a bug:
its traceback goes to the log, the user sees a short note, and the editor keeps running.
"""
from __future__ import annotations

import logging

from training.errors import USER_ERRORS

log = logging.getLogger(__name__)


def is_user_error(error: BaseException) -> bool:
    return isinstance(error, USER_ERRORS)


def bug_message(error: BaseException) -> str:
    """The short note a user sees for a bug (which is logged elsewhere, with its traceback)."""
    return f"Something went wrong (a bug): {type(error).__name__}: {error}. The details are in the log."


def log_bug(error: BaseException, what: str = "the editor") -> None:
    log.error("a bug in %s: %s", what, error, exc_info=error)


def describe(error: BaseException, logged: bool = False) -> str:
    """What to tell the user about `error`; a bug is logged with its traceback unless `logged`."""
    if is_user_error(error):
        return str(error) or type(error).__name__
    if not logged:
        log_bug(error)
    return bug_message(error)
