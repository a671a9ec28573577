"""The Socket.IO plumbing: who is calling, rate limits, the event schemas, the only place that commits an event and emits."""
