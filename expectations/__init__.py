"""Great Expectations suites: generated from each table's contract (generated.py), plus hand-written checks in
suites/<table>.json, and the code that runs them (validate.py)."""

# Importing opengap sets GX_ANALYTICS_ENABLED=False; this package's __init__ runs before any of its modules
# import great_expectations, which would otherwise phone home.
import opengap  # noqa: F401
