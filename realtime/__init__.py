"""The WebSocket consumer, channel-group names and event publishing."""
