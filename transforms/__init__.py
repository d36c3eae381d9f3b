"""Pure transforms: normalize source rows, resolve model identities, tag openness, compute marts."""
