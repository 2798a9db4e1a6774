"""Provision Sentry-compatible projects for a Puppet-managed fleet and publish their DSNs."""

__version__ = "0.2.0"
