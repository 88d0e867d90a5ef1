"""Pure stage functions: no app, no topics, no I/O. Each returns what happened."""
