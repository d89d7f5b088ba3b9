"""Headless commands over the same core and models code the window uses."""
