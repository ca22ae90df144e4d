"""Cloudflare Cloudforce One requests: the client, its spec models and its plug-in registration."""
