"""The `ocop` command line: one module per group of commands, wired together in cli/app.py."""
