"""One module per object kind; each exposes `check(idx)` and/or `check_scope(idx, scope)`."""
