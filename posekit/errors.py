"""posekit's exception types. Messages name the file, the record and the field.

The CLI prints ``str(error)`` as one line and exits non-zero; library users catch
:class:`PosekitError`.
"""
from __future__ import annotations

__all__ = ["PosekitError", "DataError", "ValidationError", "SkeletonError", "ModelError", "InputError", "OutputError"]


class PosekitError(Exception):
    """Base of every error posekit raises on purpose."""


class DataError(PosekitError):
    """A data or results file cannot be read or does not fit its format.

    ``path`` is the file, ``record`` the offending record (an id or an index), ``field`` the key.
    """

    def __init__(self, message: str, path: str | None = None, record: object = None, field: str | None = None):
        self.path, self.record, self.field, self.reason = path, record, field, message
        where = [p for p in (str(path) if path else None,
                             f"record {record}" if record is not None else None,
                             f"field '{field}'" if field else None) if p]
        super().__init__(f"{': '.join(where)}: {message}" if where else message)


class ValidationError(DataError):
    """A file has one or more problems; ``problems`` lists every one as a :class:`DataError`."""

    def __init__(self, problems: list[DataError]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first.reason + more, first.path, first.record, first.field)


class SkeletonError(PosekitError):
    """A keypoint definition is inconsistent or unknown."""


class ModelError(PosekitError):
    """A model, preset or weights file cannot be built or loaded."""


class InputError(PosekitError):
    """An input image or video cannot be used."""


class OutputError(PosekitError):
    """An output folder or file cannot be written (read-only, full disk, another run writing it)."""
