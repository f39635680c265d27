"""Tests of the adapters, the HTTP app and the command line."""
