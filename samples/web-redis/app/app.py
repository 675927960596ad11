# The Compose getting-started demo: a hit counter kept in redis.
import os
import time

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"),
                    port=int(os.environ.get("REDIS_PORT", "6379")))


def count_hit():
    # redis may still be starting when the first request comes in.
    for attempt in range(10):
        try:
            return store.incr("hits")
        except redis.exceptions.ConnectionError:
            if attempt == 9:
                raise
            time.sleep(0.5)


@app.route("/")
def hello():
    return "Hello World! I have been seen {} times.\n".format(count_hit())
