# Unit tests of the demo app, run by the `test` stage of the Dockerfile:
# redis is replaced by an in-memory fake, so they need no server.
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))
sys.path.insert(0, "/app")

import redis  # noqa: E402

import app as demo  # noqa: E402


class FakeRedis:
    def __init__(self, failures=0):
        self.values = {}
        self.failures = failures

    def incr(self, key):
        if self.failures > 0:
            self.failures -= 1
            raise redis.exceptions.ConnectionError("not yet")
        self.values[key] = self.values.get(key, 0) + 1
        return self.values[key]


class HitCounterTest(unittest.TestCase):
    def setUp(self):
        demo.time.sleep = lambda s: None
        self.client = demo.app.test_client()

    def test_counts_every_hit(self):
        demo.store = FakeRedis()
        self.assertEqual(self.client.get("/").data, b"Hello World! I have been seen 1 times.\n")
        self.assertEqual(self.client.get("/").data, b"Hello World! I have been seen 2 times.\n")

    def test_waits_for_redis_to_start(self):
        demo.store = FakeRedis(failures=3)
        self.assertIn(b"seen 1 times", self.client.get("/").data)

    def test_gives_up_after_ten_attempts(self):
        demo.store = FakeRedis(failures=10)
        with self.assertRaises(redis.exceptions.ConnectionError):
            demo.count_hit()


if __name__ == "__main__":
    unittest.main()
