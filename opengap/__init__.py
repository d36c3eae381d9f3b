"""opengap: a validated, dated, reproducible record of open-weight vs closed AI models."""

import os

# Great Expectations phones home unless told not to; the pipeline must never touch the network by surprise.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

__version__ = "0.1.0"
