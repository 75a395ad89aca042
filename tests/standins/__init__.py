"""Loopback stand-ins for external servers, for tests and manual tries.

A stand-in speaks a server's documented wire protocol from a script. It is not the real server:
nothing measured against a stand-in says anything about the real one's speed or answers.
"""
