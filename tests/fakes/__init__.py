"""Test-only fakes of the providers and Slack surfaces the demo does not need (Huawei OSM, JITSudo, Socket Mode).

The fakes the demo needs (Slack Web API, Cloudforce One) ship in the `sandbox` package; tests import them from there.
"""
