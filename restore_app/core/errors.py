"""Errors a person sees: ``str(error)`` is one clear line, with no traceback."""

from __future__ import annotations


class RestoreError(Exception):
    """Base of every error shown to a person; its message is one line."""


class ImageReadError(RestoreError):
    """A file could not be read as an image (missing, empty, corrupt, unsupported)."""


class ImageTooLargeError(ImageReadError):
    """An image declares more pixels than the configured limit."""


class ImageWriteError(RestoreError):
    """A derivative could not be written (format, permissions, full disk)."""


class OutputExistsError(ImageWriteError):
    """The output file exists and overwriting was not asked for."""


class MaskError(RestoreError):
    """A mask is unreadable or does not match its image."""


class ModelError(RestoreError):
    """A model could not be found, loaded or run."""


class Cancelled(Exception):  # noqa: N818 - it is an outcome, not a failure
    """A job was cancelled by its token; nothing was changed."""
