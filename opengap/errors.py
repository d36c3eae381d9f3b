"""Errors the pipeline raises on purpose. Each message names what failed, where, and what to do."""


class OpengapError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class FetchError(OpengapError):
    """A source could not be downloaded (network, HTTP status, size limit, an error page instead of data)."""


class TransientFetchError(FetchError):
    """A failure that waiting may heal (timeout, 5xx, 408/425/429, reset, short body): the task retries it."""


class FinalFetchError(FetchError):
    """A failure that retrying will not heal (other 4xx, size cap, an HTML page instead of data, a Retry-After
    longer than we wait): the task fails at once."""


class ParseError(OpengapError):
    """A raw file does not have the shape its parser expects."""


class RawStoreError(OpengapError):
    """The raw store is missing a file, or a stored file no longer matches its checksum."""


class ValidationFailed(OpengapError):
    """A blocking (critical) expectation failed: the snapshot was quarantined, not published."""


class PublishError(OpengapError):
    """The warehouse could not be written or read."""
