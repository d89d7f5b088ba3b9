"""Restore: restoring damaged photographs and scans."""

__version__ = "0.1.0"
