"""Execution: the exactly-once commit protocol (checkpoint + Delta transaction) and the executors that run it."""
