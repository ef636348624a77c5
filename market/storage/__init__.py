"""MongoDB mechanics every repository builds on: the connection, transactions, versioned updates,
idempotency keys and change streams. Nothing here knows a domain."""
