"""One module per feature; each service works on neutral events and the Messenger port."""
