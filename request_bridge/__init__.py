"""The entry points: the `request-bridge` command line, the running server, the in-process runner and the demo.

They sit above both bot/ and handlers/: they build the Service, register the handlers on a Bolt app and serve
it. Nothing in bot/ or handlers/ imports from here.
"""
