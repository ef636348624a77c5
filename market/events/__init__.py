"""Business events: written to one outbox in the same transaction as the change they announce, each with a
stable id and an audience its domain's policy decided. Delivery (in-app, email, webhooks) reads them from
there (market/notifications/)."""
