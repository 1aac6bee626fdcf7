"""The basics every deployment has: help, whoami, channel set-up, roles, and database housekeeping."""
