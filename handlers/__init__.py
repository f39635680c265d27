"""Platform-neutral conversations: one router module per feature, one engine that runs them."""
