"""One package per reporter channel: verify, parse into `Inbound`, render the reply, a status map as data."""
