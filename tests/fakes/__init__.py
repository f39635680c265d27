"""Small honest fakes of the outside world (chat platform APIs) for tests."""
