"""Persistent state: Tortoise models, database set-up and the queries the journeys need.

Knows nothing of WeChat: callers pass plain values (an openid is just a string here).
"""
