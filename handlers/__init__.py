"""The chat edges (Slack, Teams, console) and the web server: they translate, nothing more."""
