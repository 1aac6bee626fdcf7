"""The console edge: a local chat shell on the same services and database."""
