"""The Slack edge: Bolt listeners, Block Kit rendering and the Slack Messenger."""
