"""Huawei Cloud service tickets (OSM): the client, its spec models, AK/SK signing and its plug-in registration."""
