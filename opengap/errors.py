"""Errors the pipeline raises on purpose. Each message names what failed, where, and what to do."""


class OpengapError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class FetchError(OpengapError):
    """A source could not be downloaded (network, HTTP status, size limit)."""


class ParseError(OpengapError):
    """A raw file does not have the shape its parser expects."""


class RawStoreError(OpengapError):
    """The raw store is missing a file, or a stored file no longer matches its checksum."""


class ValidationFailed(OpengapError):
    """A blocking (critical) expectation failed: the snapshot was quarantined, not published."""


class PublishError(OpengapError):
    """The warehouse could not be written or read."""
