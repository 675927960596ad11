# The classic compose example's app: a hit counter kept in redis,
# answering on port 5000.
import time

import redis
from flask import Flask

app = Flask(__name__)
cache = redis.Redis(host="redis", port=6379)


def get_hit_count():
    # redis may still be starting when the first request comes in.
    retries = 10
    while True:
        try:
            return cache.incr("hits")
        except redis.exceptions.ConnectionError:
            if retries == 0:
                raise
            retries -= 1
            time.sleep(0.5)


@app.route("/")
def hello():
    return "Hello World! I have been seen {} times.\n".format(get_hit_count())


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
