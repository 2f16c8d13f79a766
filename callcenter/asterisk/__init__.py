"""Installing, configuring and running the project's own Asterisk 22 (a Debian sid root)."""
