"""The one base class of every error a user can cause and mend (a missing file, a bad option, a
photo without a face). The command-line tools catch only `UserError` and print its message; the
editor shows it in a message box. Anything else is a bug: it keeps its traceback.
"""
from __future__ import annotations


class UserError(Exception):
    """Something the user asked for cannot be done; the message says what went wrong and what to do."""


# What a user mends, shown as a message: a UserError, or an OSError (a file missing, a full disk, a
# folder without write permission). Anything else is a bug and keeps its traceback.
USER_ERRORS = (UserError, OSError)


class OptionError(UserError, ValueError):
    """An option or setting is out of range or unknown (a ValueError too, for callers that expect one)."""


class VersionError(UserError):
    """A file was written by a newer version of this program."""


def check_version(found, supported: int, what: str) -> None:
    """Refuse a file whose format `found` is newer than this program reads (`supported`)."""
    if not isinstance(found, int) or found < 1:
        raise UserError(f"{what} has no valid format version ({found!r}); it may be damaged")
    if found > supported:
        raise VersionError(f"{what} has format version {found}, but this program reads version "
                           f"{supported} at most: it was written by a newer version; update this program")
