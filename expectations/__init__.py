"""Great Expectations suites (one JSON file per published table, in suites/) and the code that runs them."""
