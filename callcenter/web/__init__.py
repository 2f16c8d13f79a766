"""The HTTP API and, later, the browser pages."""
