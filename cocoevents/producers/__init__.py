"""The producer side of the event format: the registry of event names and payloads, ``log_event``, the
registries generated for TypeScript and Go, and the drift check of a producer's registry."""
