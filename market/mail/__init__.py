"""Email: templates in Vietnamese and English, an outbox in MongoDB written in the caller's transaction, and
delivery over SMTP by the worker, at least once."""
