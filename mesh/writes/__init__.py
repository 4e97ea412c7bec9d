"""Changes to the mesh made from the console (issue 19): what a wizard generates, how it is
sent (with the user's own credentials, dry-run first), and the record kept of it."""
