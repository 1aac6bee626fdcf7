"""champbot's platform-neutral core: domain, services, ports and the composition root."""
