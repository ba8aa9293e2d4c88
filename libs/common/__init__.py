"""Shared runtime for every duban service: config, clock, calendar, db + outbox, Kafka, gRPC, logs."""
