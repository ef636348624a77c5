"""Reference data shipped with the package."""
